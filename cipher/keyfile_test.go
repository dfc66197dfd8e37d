package cipher_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/safefile"
	"github.com/sfkvm/sfkvm/internal/testenv"
)

func TestCreateKeyFileThenLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sfkvm.key")
	k, err := cipher.CreateKeyFile(path)
	if err != nil {
		t.Fatalf("CreateKeyFile: %v", err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != 0o600 {
		t.Errorf("mode %v, want -rw-------", fi.Mode())
	}
	data, _ := os.ReadFile(path)
	if len(data) != 56 || !strings.HasPrefix(string(data), "sfkvm-key 1 ") || !strings.HasSuffix(string(data), "\n") {
		t.Errorf("key file %q: not the documented format", data)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	loaded, err := cipher.LoadKey(path)
	if err != nil {
		t.Fatalf("LoadKey: %v", err)
	}
	if loaded.ID() != k.ID() {
		t.Errorf("loaded key id %s, created %s", loaded.ID(), k.ID())
	}
	tok, _ := k.Seal(cipher.SecretFromString("pw"), guest11)
	if s, err := loaded.Open(tok, guest11); err != nil || string(s.Bytes()) != "pw" {
		t.Errorf("the loaded key does not open what the created one sealed: %v", err)
	}
}

func TestCreateKeyFileUnderAPermissiveUmask(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k") // a private folder, made before the umask
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	if _, err := cipher.CreateKeyFile(path); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v under umask 0", fi.Mode())
	}
}

// A key is written only into a folder others cannot change: one writable
// by group or others could have the key renamed away or replaced.
func TestCreateKeyFileRefusesAFolderOthersCanWrite(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "k")
	_, err := cipher.CreateKeyFile(path)
	if !errors.Is(err, safefile.ErrMode) || !strings.Contains(err.Error(), dir) {
		t.Errorf("CreateKeyFile in a 0777 folder: %v, want the folder refused", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a key file was written: %v", err)
	}
}

func TestCreateKeyFileRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	for _, make := range []func(p string) error{
		func(p string) error { return os.WriteFile(p, []byte("precious"), 0o600) },
		func(p string) error { return os.Symlink("/nonexistent", p) }, // a dangling symlink too
	} {
		path := filepath.Join(dir, "k")
		os.Remove(path)
		if err := make(path); err != nil {
			t.Fatal(err)
		}
		_, err := cipher.CreateKeyFile(path)
		if !errors.Is(err, cipher.ErrKeyFileExists) {
			t.Errorf("CreateKeyFile over an existing file: %v, want ErrKeyFileExists", err)
		}
	}
	if _, err := os.Stat("/nonexistent"); err == nil {
		t.Error("CreateKeyFile wrote through a dangling symlink")
	}
	if _, err := cipher.CreateKeyFile(filepath.Join(dir, "no", "such", "dir", "k")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("CreateKeyFile in a missing directory: %v", err)
	}
}

func TestLoadKeyRefuses(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if _, err := cipher.CreateKeyFile(good); err != nil {
		t.Fatal(err)
	}
	goodData, _ := os.ReadFile(good)
	write := func(name string, data []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	body := strings.TrimSuffix(strings.TrimPrefix(string(goodData), "sfkvm-key 1 "), "\n")
	for _, tc := range []struct {
		name   string
		path   string
		want   error
		detail string
	}{
		{"group-readable", write("g", goodData, 0o640), cipher.ErrKeyFileMode, "0640"},
		{"world-readable", write("w", goodData, 0o604), cipher.ErrKeyFileMode, "0604"},
		{"group-writable", write("gw", goodData, 0o620), cipher.ErrKeyFileMode, "0620"},
		{"symlink", link, cipher.ErrKeyFileType, "symbolic link"},
		{"directory", dir, cipher.ErrKeyFileType, "d"},
		{"FIFO", fifo, cipher.ErrKeyFileType, "p"},
		{"missing", filepath.Join(dir, "missing"), fs.ErrNotExist, ""},
		{"empty", write("empty", nil, 0o600), cipher.ErrKeyFileFormat, "0 bytes"},
		{"too long", write("long", append(goodData, '\n'), 0o600), cipher.ErrKeyFileFormat, "more than 56"},
		{"no newline", write("nonl", append([]byte("sfkvm-key 1 "), body+"x"...), 0o600), cipher.ErrKeyFileFormat, "newline"},
		{"CRLF", write("crlf", []byte("sfkvm-key 1 "+body[:42]+"\r\n"), 0o600), cipher.ErrKeyFileFormat, "base64url"},
		{"other magic", write("magic", []byte("sfkvm-key 2 "+body+"\n"), 0o600), cipher.ErrKeyFileFormat, "start with"},
		{"padding", write("pad", []byte("sfkvm-key 1 "+body[:42]+"=\n"), 0o600), cipher.ErrKeyFileFormat, "base64url"},
		{"standard base64", write("std", []byte("sfkvm-key 1 "+strings.Repeat("+", 43)+"\n"), 0o600), cipher.ErrKeyFileFormat, "base64url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := cipher.LoadKey(tc.path)
			if !errors.Is(err, tc.want) {
				t.Fatalf("LoadKey: %v (key %v), want %v", err, k, tc.want)
			}
			var ke *cipher.KeyFileError
			if !errors.As(err, &ke) || ke.Path != tc.path {
				t.Errorf("error %v does not name the path %s", err, tc.path)
			}
			if !strings.Contains(err.Error(), tc.detail) {
				t.Errorf("error %q does not say %q", err, tc.detail)
			}
			if strings.Contains(err.Error(), body[:10]) {
				t.Errorf("error shows the key: %v", err)
			}
		})
	}
}

func TestLoadKeyRefusesAnotherOwner(t *testing.T) {
	testenv.Root(t, "to give a file to another user")
	path := filepath.Join(t.TempDir(), "k")
	if _, err := cipher.CreateKeyFile(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := cipher.LoadKey(path); !errors.Is(err, cipher.ErrKeyFileOwner) {
		t.Errorf("LoadKey of a file owned by nobody: %v, want ErrKeyFileOwner", err)
	}
}

// FuzzReadKey: the key file parser never panics, and whatever it accepts
// is exactly 56 bytes of the documented shape.
func FuzzReadKey(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := cipher.ReadKey(strings.NewReader(string(data)), "fuzz")
		if err != nil {
			if !errors.Is(err, cipher.ErrKeyFileFormat) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if len(data) != 56 || !strings.HasPrefix(string(data), "sfkvm-key 1 ") || k.ID() == "" {
			t.Fatalf("accepted %q", data)
		}
	})
}

func TestWriteKeyFileThenLoadNeverOverwrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sfkvm.key")
	k, err := cipher.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := cipher.WriteKeyFile(path, k); err != nil {
		t.Fatalf("WriteKeyFile: %v", err)
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode() != 0o600 {
		t.Fatalf("the key file: %v %v, want -rw-------", fi, err)
	}
	loaded, err := cipher.LoadKey(path)
	if err != nil || loaded.ID() != k.ID() {
		t.Fatalf("LoadKey: %v (want the written key)", err)
	}
	if err := cipher.WriteKeyFile(path, k); !errors.Is(err, cipher.ErrKeyFileExists) {
		t.Errorf("a second WriteKeyFile: %v, want ErrKeyFileExists", err)
	}
}
