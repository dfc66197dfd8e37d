package cipher_test

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/cipher/sfciphertest"
)

// testRoot is a folder of this test run that CheckTool trusts as it
// trusts /: every t.TempDir() is made in it (TMPDIR), so the fakes that
// tests install there pass the check without root, and without trusting
// the world-writable /tmp above it.
var testRoot string

func TestMain(m *testing.M) {
	if os.Getenv(sfciphertest.ModeEnv) != "" {
		os.Exit(m.Run()) // the fake sfcipher: it exits in TestSfcipherHelper
	}
	syscall.Umask(0o022) // folders 0755, not group-writable
	dir, err := os.MkdirTemp("", "cipher-test-")
	if err == nil {
		dir, err = filepath.EvalSymlinks(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testRoot = dir
	os.Setenv("TMPDIR", dir)
	cipher.SetToolTrust([]string{filepath.Join(dir, "no-vendor-bin")}, dir, os.Geteuid())
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
