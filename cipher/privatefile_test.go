package cipher_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/testenv"
)

func TestReadPasswordFile(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		must(t, os.WriteFile(p, []byte(content), 0o600))
		must(t, os.Chmod(p, mode))
		return p
	}
	good := file("good", "Passw0rd\r\nrest\n", 0o600)
	link := filepath.Join(dir, "link")
	must(t, os.Symlink(good, link))
	fifo := filepath.Join(dir, "fifo")
	must(t, syscall.Mkfifo(fifo, 0o600))
	other := file("other", "Passw0rd\n", 0o600)
	if os.Geteuid() == 0 {
		must(t, os.Chown(other, 4242, -1))
	}
	for _, tc := range []struct {
		name, path string
		err        error
		detail     string
	}{
		{"LF or CRLF, first line only", good, nil, ""},
		{"read-only for its owner", file("ro", "Passw0rd\n", 0o400), nil, ""},
		{"a symlink", link, cipher.ErrPasswordFileType, "a symbolic link"},
		{"a FIFO, without blocking", fifo, cipher.ErrPasswordFileType, "a FIFO"},
		{"a device", "/dev/null", cipher.ErrPasswordFileType, "a character device"},
		{"a folder", dir, cipher.ErrPasswordFileType, "a folder"},
		{"readable by group", file("g", "Passw0rd\n", 0o640), cipher.ErrPasswordFileMode, "mode 0640"},
		{"readable by others", file("o", "Passw0rd\n", 0o604), cipher.ErrPasswordFileMode, "mode 0604"},
		{"missing", filepath.Join(dir, "missing"), fs.ErrNotExist, ""},
		{"empty", file("empty", "", 0o600), cipher.ErrNoPassword, ""},
		{"no line end", file("cut", "Passw0rd", 0o600), cipher.ErrPasswordNotEnded, ""},
		{"empty line", file("blank", "\n", 0o600), cipher.ErrEmptyPassword, ""},
		{"owned by another user", other, cipher.ErrPasswordFileOwner, "uid 4242"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == cipher.ErrPasswordFileOwner {
				testenv.Root(t, "chown to another user")
			}
			type result struct {
				s   cipher.Secret
				err error
			}
			done := make(chan result, 1)
			go func() { s, err := cipher.ReadPasswordFile(tc.path); done <- result{s, err} }()
			var r result
			select {
			case r = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("ReadPasswordFile hangs")
			}
			if tc.err == nil {
				if r.err != nil || string(r.s.Bytes()) != "Passw0rd" {
					t.Fatalf("ReadPasswordFile = %q, %v", r.s.Bytes(), r.err)
				}
				return
			}
			var pe *cipher.PasswordFileError
			if !errors.Is(r.err, tc.err) || !errors.As(r.err, &pe) || pe.Path != tc.path {
				t.Fatalf("ReadPasswordFile: %v, want a *PasswordFileError for %s wrapping %v", r.err, tc.path, tc.err)
			}
			msg := r.err.Error()
			if !strings.Contains(msg, tc.path) || !strings.Contains(msg, tc.detail) || strings.Contains(msg, "Passw0rd") {
				t.Errorf("message %q: want the path and %q, never the password", msg, tc.detail)
			}
		})
	}
}
