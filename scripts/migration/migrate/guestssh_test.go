package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sfkvm/sfkvm/internal/migrationtest"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

func TestWaitHostKey(t *testing.T) {
	k1, _ := sshtest.NewHostKey("ed25519")
	k2, _ := sshtest.NewHostKey("ed25519")
	line := func(fp ssh.Signer, key ssh.Signer) string {
		return migrationtest.HostKeyPrefix + ssh.FingerprintSHA256(fp.PublicKey()) + " " + string(bytes.TrimSpace(ssh.MarshalAuthorizedKey(key.PublicKey()))) + "\n"
	}
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fp, key, err := waitHostKey(write("good", "[ 1.0] virtio_net\n"+line(k1, k1)), time.Second)
	if err != nil || fp != ssh.FingerprintSHA256(k1.PublicKey()) || !bytes.Equal(key.Marshal(), k1.PublicKey().Marshal()) {
		t.Errorf("a good line: %s, %v", fp, err)
	}
	// A fingerprint that is not the key's is refused, never trusted.
	if _, _, err := waitHostKey(write("mixed", line(k1, k2)), time.Second); err == nil || !strings.Contains(err.Error(), "but its key is") {
		t.Errorf("a line whose fingerprint is another key's: %v", err)
	}
	// A line not yet ended is not read; the wait gives up naming the line.
	full := line(k1, k1)
	if _, _, err := waitHostKey(write("cut", full[:len(full)-10]), 300*time.Millisecond); err == nil || !strings.Contains(err.Error(), "gave up after") {
		t.Errorf("a cut line: %v", err)
	}
	if _, _, err := waitHostKey(write("neterr", "SFKVM-NET-ERROR no network interface\n"), time.Second); err == nil || !strings.Contains(err.Error(), "no network interface") {
		t.Errorf("the guest's network error: %v", err)
	}
}

func TestFigures(t *testing.T) {
	dir := t.TempDir()
	write := func(text string) string {
		p := filepath.Join(dir, "r.json")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write(`{"schema":"sfkvm.migrate/v1","outcome":"migrated","migration_seconds":2.5,"downtime_seconds":0.1,"reads_new_host_seconds":0.25,"total_seconds":4}`)
	if err := figures([]string{good}); err != nil {
		t.Errorf("a migrated report: %v", err)
	}
	// A refused or failed migration has no figures to take: an error.
	for _, bad := range []string{
		`{"schema":"sfkvm.migrate/v1","outcome":"refused","migration_seconds":null,"reads_new_host_seconds":null,"total_seconds":1}`,
		`{"schema":"sfkvm.migrate/v1","outcome":"failed","migration_seconds":2,"reads_new_host_seconds":null,"total_seconds":9}`,
		`{"schema":"sfkvm.preflight/v1"}`,
		`not json`,
	} {
		if err := figures([]string{write(bad)}); err == nil {
			t.Errorf("figures of %s: no error", bad)
		}
	}
}
