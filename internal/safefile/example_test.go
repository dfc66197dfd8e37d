//go:build unix

// The guarded opens and the atomic replace work on Unix only (elsewhere
// they return ErrUnsupported), so the examples run there.

package safefile_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/sfkvm/sfkvm/internal/safefile"
)

// A FIFO where a configuration file should be is refused at once: an
// ordinary open would wait for a writer for ever.
func ExampleOpenRegular() {
	dir, _ := os.MkdirTemp("", "sfkvm")
	defer os.RemoveAll(dir)
	conf := filepath.Join(dir, "kvmguests.conf")
	if err := syscall.Mkfifo(conf, 0o600); err != nil {
		log.Fatal(err)
	}
	_, err := safefile.OpenRegular(conf, false)
	fmt.Println(errors.Is(err, safefile.ErrNotRegular), strings.ReplaceAll(fmt.Sprint(err), dir, "DIR"))

	os.Remove(conf)
	_ = os.WriteFile(conf, []byte("guest11 cfhost1 ...\n"), 0o600)
	f, err := safefile.OpenRegular(conf, false)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	fmt.Printf("%q\n", b)
	// Output:
	// true DIR/kvmguests.conf: is not a regular file (a FIFO)
	// "guest11 cfhost1 ...\n"
}

// A secret that group or others may read is refused before a byte of it
// is read.
func ExampleOpenPrivate() {
	dir, _ := os.MkdirTemp("", "sfkvm")
	defer os.RemoveAll(dir)
	pw := filepath.Join(dir, "password")
	_ = os.WriteFile(pw, []byte("s3cret\n"), 0o600)
	_ = os.Chmod(pw, 0o644) // past the umask

	_, err := safefile.OpenPrivate(pw)
	fmt.Println(errors.Is(err, safefile.ErrMode), strings.ReplaceAll(fmt.Sprint(err), dir, "DIR"))
	// Output: true DIR/password: is accessible to group or others (mode 0644, want 0600 or 0400)
}

// WriteFile replaces a file atomically with mode 0600, whatever mode the
// old one had; an entry that is not a regular file is refused and left as
// it was.
func ExampleWriteFile() {
	dir, _ := os.MkdirTemp("", "sfkvm")
	defer os.RemoveAll(dir)
	conf := filepath.Join(dir, "kvmguests.conf")
	_ = os.WriteFile(conf, []byte("old\n"), 0o644)

	if err := safefile.WriteFile(conf, []byte("new\n")); err != nil {
		log.Fatal(err)
	}
	fi, _ := os.Stat(conf)
	b, _ := os.ReadFile(conf)
	fmt.Printf("%v %q\n", fi.Mode(), b)

	fifo := filepath.Join(dir, "fifo")
	_ = syscall.Mkfifo(fifo, 0o600)
	err := safefile.WriteFile(fifo, []byte("new\n"))
	fi, _ = os.Lstat(fifo)
	fmt.Println(errors.Is(err, safefile.ErrNotRegular), fi.Mode().Type() == fs.ModeNamedPipe)

	entries, _ := os.ReadDir(dir)
	fmt.Println(len(entries), "entries: no temporary file left behind")
	// Output:
	// -rw------- "new\n"
	// true true
	// 2 entries: no temporary file left behind
}

// CreateFile never overwrites: a second key in the same place is an error
// that matches fs.ErrExist, and the first is untouched.
func ExampleCreateFile() {
	dir, _ := os.MkdirTemp("", "sfkvm")
	defer os.RemoveAll(dir)
	key := filepath.Join(dir, "sfkvm.key")

	fmt.Println(safefile.CreateFile(key, []byte("first")))
	err := safefile.CreateFile(key, []byte("second"))
	b, _ := os.ReadFile(key)
	fmt.Println(errors.Is(err, fs.ErrExist), string(b))
	// Output:
	// <nil>
	// true first
}
