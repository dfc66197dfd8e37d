package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The tests' edits of the shared PAM files are never seen half done by a
// login that reads the file at the same moment (replaceFile): a reader
// sees the old content or the new one, whole. In place (os.WriteFile's
// truncate, then write) the reader here saw an empty or short file within
// a few hundred rounds.
func TestReplaceFileNeverPartial(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sshd")
	a, b := bytes.Repeat([]byte("auth required pam_unix.so\n"), 2000), bytes.Repeat([]byte("auth required pam_deny.so \n"), 2000)
	if err := replaceFile(file, a, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		defer close(done)
		for i := 0; i < 2000; i++ {
			data := a
			if i%2 == 1 {
				data = b
			}
			if err := replaceFile(file, data, 0o644); err != nil {
				done <- err
				return
			}
		}
	}()
	var reads, bad, badLen int
	for writing := true; writing; {
		select {
		case err, ok := <-done:
			if err != nil {
				t.Fatal(err)
			}
			writing = ok
		default:
		}
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		reads++
		if !bytes.Equal(got, a) && !bytes.Equal(got, b) {
			bad++
			badLen = len(got)
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d reads saw a partial file (one of %d bytes; whole is %d)", bad, reads, badLen, len(a))
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v; want 0644", fi.Mode().Perm(), err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(file), ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
