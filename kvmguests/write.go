package kvmguests

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Format renders c as the bytes of a file, without checking it: a guest
// line is its seven fields joined by single spaces, every other line is
// written as it was read, and every line ends with LF. Format is the inverse
// of Parse: for a file that Parse reads without any diagnostic,
// Format(cfg) returns the same bytes.
func Format(c *Config) []byte {
	var b bytes.Buffer
	for _, l := range c.Lines {
		if l.Kind == LineGuest && l.Guest != nil {
			f := l.Guest.fields()
			b.WriteString(strings.Join(f[:], " "))
		} else {
			b.WriteString(l.Text.Reveal())
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Marshal renders c like Format and refuses a result that Parse would
// report errors in: the Diagnostics (positions in the rendered file) are
// then the error. Warnings do not stop it.
func Marshal(c *Config, name string, opts Options) ([]byte, error) {
	b := Format(c)
	if _, diags := ParseBytes(b, name, opts); diags.HasErrors() {
		return nil, fmt.Errorf("refusing to write %s: %w", name, diags.onlyErrors())
	}
	return b, nil
}

func (ds Diagnostics) onlyErrors() Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == Error {
			out = append(out, d)
		}
	}
	return out
}

// WriteFile replaces the file at path with c, atomically: the new contents
// go to a temporary file in the same folder, created with mode 0600, which
// is synced, renamed over path, and the folder synced. A configuration with
// errors is refused before anything is written, and on any failure the
// previous file is left as it was. (A failure to sync the folder after the
// rename is reported too; the new file is then in place, not yet durable.)
func WriteFile(path string, c *Config, opts Options) error {
	b, err := Marshal(c, path, opts)
	if err != nil {
		return err
	}
	return writeAtomic(path, b)
}

// afterWrite is a seam for tests: a failure there (a full disk, say) must
// leave the previous file as it was and no temporary file behind.
var afterWrite = func(*os.File) error { return nil }

func writeAtomic(path string, b []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	// os.CreateTemp creates the file with mode 0600: no other user ever
	// sees a byte of it.
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil { // in case of an unusual umask
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err = f.Write(b); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = afterWrite(f); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing the folder of %s: %w", path, err)
	}
	defer d.Close()
	if err = d.Sync(); err != nil {
		return fmt.Errorf("syncing the folder of %s: %w", path, err)
	}
	return nil
}
