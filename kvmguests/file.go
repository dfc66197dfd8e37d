package kvmguests

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// DefaultPath is where PRIMECLUSTER reads the file, on every host OS.
const DefaultPath = "/etc/opt/FJSVcluster/etc/kvmguests.conf"

// ReadFile parses the file at path. Unless opts.SkipFileChecks is set it
// also checks the file itself: not a symbolic link, owned by root, mode
// exactly 0600; each failure is its own diagnostic, reported before the
// contents. err is non-nil when the file cannot be opened or read (it then
// wraps the fs error, so errors.Is(err, fs.ErrNotExist) works).
func ReadFile(path string, opts Options) (*Config, Diagnostics, error) {
	cfg := &Config{} // what a file that is not read holds
	diags, err := readFile(path, opts, func(f *os.File) (Diagnostics, error) {
		c, d, err := Parse(f, path, opts)
		cfg = c
		return d, err
	})
	return cfg, diags, err
}

// CheckFile is ReadFile for when only the verdict matters (see Check).
func CheckFile(path string, opts Options) (Diagnostics, error) {
	return readFile(path, opts, func(f *os.File) (Diagnostics, error) { return Check(f, path, opts) })
}

func readFile(path string, opts Options, parse func(*os.File) (Diagnostics, error)) (Diagnostics, error) {
	if opts.SkipFileChecks {
		f, err := openReadable(path)
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
	if fi.Mode()&fs.ModeSymlink != 0 {
		// Reported; the contents behind the link are still checked.
		diags := fileDiagnostics(path, fi)
		f, err := openReadable(path)
		if err != nil {
			return diags, err
		}
		defer f.Close()
		more, err := parse(f)
		return append(diags, more...), err
	}
	// The owner and mode checked are those of the file opened, not of
	// whatever the path named a moment before.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, err
	}
	diags := fileDiagnostics(path, fi)
	if !fi.Mode().IsRegular() {
		return diags, nil // a device or a pipe: reported, not read
	}
	more, err := parse(f)
	return append(diags, more...), err
}

// openReadable opens path for reading, refusing a directory. A pipe is
// allowed (sfkvm check --no-perm -f <(ssh host2 cat ...)); Parse reads at
// most MaxSize.
func openReadable(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, &fs.PathError{Op: "read", Path: path, Err: errors.New("is a directory")}
	}
	return f, nil
}

// fileDiagnostics checks what PRIMECLUSTER asks of the file itself.
func fileDiagnostics(path string, fi fs.FileInfo) Diagnostics {
	var diags Diagnostics
	add := func(code Code, format string, args ...any) {
		diags = append(diags, Diagnostic{File: path, Code: code, Severity: Error, Message: fmt.Sprintf(format, args...)})
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		add(ErrFileSymlink, "is a symbolic link; the file must be a regular file in place (a link can be redirected)")
		return diags // owner and mode of the link itself mean nothing
	}
	if !fi.Mode().IsRegular() {
		add(ErrFileMode, "is not a regular file (%s)", fi.Mode().Type())
		return diags
	}
	if perm := fi.Mode().Perm(); perm != 0o600 || fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
		add(ErrFileMode, "mode is %04o, want 0600 (chmod 600 %s)", fi.Mode().Perm()|specialBits(fi.Mode()), path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 {
		add(ErrFileOwner, "owner is uid %d, want root (chown root %s)", st.Uid, path)
	}
	return diags
}

func specialBits(m fs.FileMode) fs.FileMode {
	var b fs.FileMode
	if m&fs.ModeSetuid != 0 {
		b |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		b |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		b |= 0o1000
	}
	return b
}
