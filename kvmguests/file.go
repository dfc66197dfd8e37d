package kvmguests

import (
	"fmt"
	"io/fs"
	"os"

	"github.com/sfkvm/sfkvm/diag"
	"github.com/sfkvm/sfkvm/internal/safefile"
)

// DefaultPath is where PRIMECLUSTER reads the file, on every host OS.
const DefaultPath = "/etc/opt/FJSVcluster/etc/kvmguests.conf"

// ReadFile parses the file at path. Unless opts.SkipFileChecks is set it
// also checks the file itself: not a symbolic link, owned by root, mode
// exactly 0600; each failure is its own diagnostic, reported before the
// contents (the contents behind a symbolic link are still read).
//
// err is non-nil when the file cannot be opened or read: it is missing
// (errors.Is(err, fs.ErrNotExist)), it is not a regular file (a FIFO, a
// device, a folder: errors.Is(err, ErrNotRegular); it is refused, never
// read, and the open does not block), or it is larger than MaxSize
// (ErrTooLarge). A copy from another host is checked from a file: a pipe
// such as <(ssh host2 cat ...) is refused like any FIFO.
func ReadFile(path string, opts Options) (*Config, diag.Diagnostics, error) {
	cfg := &Config{} // what a file that is not read holds
	diags, err := readFile(path, opts, func(f *os.File) (diag.Diagnostics, error) {
		c, d, err := Parse(f, path, opts)
		cfg = c
		return d, err
	})
	return cfg, diags, err
}

// ReadGuests is ReadFile for when only the guests matter (see ParseGuests).
func ReadGuests(path string, opts Options) ([]Guest, diag.Diagnostics, error) {
	var guests []Guest
	diags, err := readFile(path, opts, func(f *os.File) (diag.Diagnostics, error) {
		g, d, err := ParseGuests(f, path, opts)
		guests = g
		return d, err
	})
	return guests, diags, err
}

// CheckFile is ReadFile for when only the verdict matters (see Check).
func CheckFile(path string, opts Options) (diag.Diagnostics, error) {
	return readFile(path, opts, func(f *os.File) (diag.Diagnostics, error) { return Check(f, path, opts) })
}

// ErrNotRegular is the error (for errors.Is) of ReadFile, CheckFile,
// ReadCopy and CompareFiles for a path that names a FIFO, a device, a socket
// or a folder.
var ErrNotRegular = safefile.ErrNotRegular

func readFile(path string, opts Options, parse func(*os.File) (diag.Diagnostics, error)) (diag.Diagnostics, error) {
	if opts.SkipFileChecks {
		f, err := safefile.OpenRegular(path, false)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return parse(f)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	var diags diag.Diagnostics
	link := fi.Mode()&fs.ModeSymlink != 0
	if link {
		// Reported; the contents behind the link are still checked.
		diags = fileDiagnostics(path, fi)
	}
	f, err := safefile.OpenRegular(path, !link)
	if err != nil {
		return diags, err
	}
	defer f.Close()
	if !link {
		// The owner and mode checked are those of the file opened, not of
		// whatever the path named a moment before.
		if fi, err = f.Stat(); err != nil {
			return nil, err
		}
		diags = fileDiagnostics(path, fi)
	}
	more, err := parse(f)
	return append(diags, more...), err
}

// fileDiagnostics checks what PRIMECLUSTER asks of the file itself: fi is
// a symbolic link or a regular file (anything else is refused on open).
func fileDiagnostics(path string, fi fs.FileInfo) diag.Diagnostics {
	var diags diag.Diagnostics
	add := func(code diag.Code, format string, args ...any) {
		diags = append(diags, diag.Diagnostic{File: path, Code: code, Severity: diag.Error, Message: fmt.Sprintf(format, args...)})
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		add(ErrFileSymlink, "is a symbolic link; the file must be a regular file in place (a link can be redirected)")
		return diags // owner and mode of the link itself mean nothing
	}
	if perm := fi.Mode().Perm(); perm != 0o600 || fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
		add(ErrFileMode, "mode is %04o, want 0600 (chmod 600 %s)", safefile.ModeBits(fi.Mode()), path)
	}
	if uid, ok := safefile.OwnerUID(fi); ok && uid != 0 {
		add(ErrFileOwner, "owner is uid %d, want root (chown root %s)", uid, path)
	}
	return diags
}
