package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/cipher/sfciphertest"
	"github.com/sfkvm/sfkvm/kvmguests"
)

func TestSfcipherHelper(t *testing.T) { sfciphertest.Helper() }

func TestGenconf(t *testing.T) {
	dir := t.TempDir()
	inv := filepath.Join(dir, "guests.csv")
	os.WriteFile(inv, []byte("guest-name,host-cfname,guest-clustername,guest-cfname,guest_IP,guest_user\n"+
		"guest11,cfhost1,cluster1,cfguest11,10.20.30.50,user1\n"+
		"guest12,cfhost2,cluster1,cfguest12,10.20.30.51,user1\n"), 0o644)
	pw := filepath.Join(dir, "pw.txt")
	os.WriteFile(pw, []byte("user1 Passw0rd\n"), 0o600)
	out := filepath.Join(dir, "kvmguests.conf")
	// Where sfcipher is trusted with a password: root's, in folders that
	// only root can change (not under /tmp).
	enc := &cipher.Sfcipher{Path: sfciphertest.InstallTrusted(t, sfciphertest.OK, "TestSfcipherHelper")}

	if err := run(context.Background(), inv, pw, out, enc); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	tok := sfciphertest.Token([]byte("Passw0rd"))
	want := "guest11 cfhost1 cluster1 cfguest11 10.20.30.50 user1 " + tok + "\nguest12 cfhost2 cluster1 cfguest12 10.20.30.51 user1 " + tok + "\n"
	if string(b) != want {
		t.Errorf("wrote %q, want %q", b, want)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}

	// A duplicate guest is refused and the file stays as it was.
	os.WriteFile(inv, []byte("a,b,c,d,e,f\nguest11,cfhost1,cluster1,cfguest11,10.20.30.50,user1\nguest11,cfhost2,cluster1,cfguest12,10.20.30.51,user1\n"), 0o644)
	err := run(context.Background(), inv, pw, out, enc)
	if !errors.Is(err, kvmguests.ErrDupGuestName) {
		t.Fatalf("err = %v, want dup-guest-name", err)
	}
	if b2, _ := os.ReadFile(out); string(b2) != want {
		t.Error("the previous file changed")
	}
	if strings.Contains(err.Error(), "Passw0rd") {
		t.Error("the error shows the password")
	}
}
