package kvmguests

import (
	"bytes"
	"context"
	"fmt"
	"github.com/sfkvm/sfkvm/internal/conflock"
	"path/filepath"
	"strings"
	"time"

	"github.com/sfkvm/sfkvm/internal/safefile"
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
		return nil, fmt.Errorf("refusing to write %s: %w", name, diags.Err())
	}
	return b, nil
}

// WriteFile replaces the file at path with c, atomically, through the
// folder opened once (internal/safefile): the new contents go to a
// temporary file in that folder, created with mode 0600, which is synced,
// renamed over path, and the folder synced. A configuration with errors is
// refused before anything is written, and on any failure the previous file
// is left as it was. Refused too, before anything is written: an entry at
// path that is not a regular file (a symbolic link, a FIFO, a device, a
// folder: errors.Is(err, ErrNotRegular)), and a folder that is a symbolic
// link, belongs to neither root nor the caller, or that group or others can
// write. (A failure to sync the folder after the rename is reported too;
// the new file is then in place, not yet durable.) A relative path is taken
// from the current folder.
//
// The write takes the lock that every sfkvm writer of kvmguests.conf
// takes (".kvmguests.conf.sfkvm-lock" beside it, see sfkvm rotate): while
// another run holds it, WriteFile is refused with an error naming that run
// (errors.Is(err, ErrLocked)), and nothing is written.
func WriteFile(path string, c *Config, opts Options) error {
	b, err := Marshal(c, path, opts)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	o, err := conflock.NewOwner("kvmguests.WriteFile", time.Minute)
	if err != nil {
		return err
	}
	defer o.End()
	if err := conflock.Acquire(context.Background(), abs, o); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer conflock.Release(abs, o)
	return safefile.WriteFile(abs, b)
}

// ErrLocked: another sfkvm run holds the lock of the file (WriteFile).
var ErrLocked = conflock.ErrLocked
