package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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

// TestGenconfInputs: the inventory must be a regular file and the
// passwords file is opened as every secret is; neither a FIFO nor a
// symbolic link to the passwords blocks or is read.
func TestGenconfInputs(t *testing.T) {
	dir := t.TempDir()
	inv := filepath.Join(dir, "guests.csv")
	os.WriteFile(inv, []byte("a,b,c,d,e,f\nguest11,cfhost1,cluster1,cfguest11,10.20.30.50,user1\n"), 0o644)
	pw := filepath.Join(dir, "pw.txt")
	os.WriteFile(pw, []byte("user1 Passw0rd\n"), 0o600)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(pw, link); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "kvmguests.conf")
	for _, tc := range []struct{ inv, pw, says string }{
		{fifo, pw, "is not a regular file (a FIFO)"},
		{inv, fifo, "is not a regular file (a FIFO)"},
		{inv, link, "is a symbolic link"},
	} {
		done := make(chan error, 1)
		go func() { done <- run(context.Background(), tc.inv, tc.pw, out, nil) }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("inventory %s, passwords %s: %v, want %q", tc.inv, tc.pw, err, tc.says)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("inventory %s, passwords %s: blocked", tc.inv, tc.pw)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a file was written")
	}
}
