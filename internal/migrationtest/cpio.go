package migrationtest

import (
	"fmt"
	"io"
	"strings"
)

// CPIO writes a newc ("070701") cpio archive, the format the Linux kernel
// unpacks as an initramfs. Entries are written in the order given; a
// file's folders must come before it. Close writes the trailer.
type CPIO struct {
	w     io.Writer
	ino   uint32
	err   error
	names map[string]bool
}

// NewCPIO returns a CPIO writing to w.
func NewCPIO(w io.Writer) *CPIO { return &CPIO{w: w, ino: 1, names: map[string]bool{}} }

// Mode bits of cpio entries (as in stat's st_mode).
const (
	ModeDir  = 0o040000
	ModeFile = 0o100000
)

// Dir adds a folder with permissions perm.
func (c *CPIO) Dir(name string, perm uint32) error {
	return c.entry(name, ModeDir|perm&0o7777, nil)
}

// File adds a regular file with permissions perm and contents data.
func (c *CPIO) File(name string, perm uint32, data []byte) error {
	return c.entry(name, ModeFile|perm&0o7777, data)
}

// Close writes the trailer. It does not close the underlying writer.
func (c *CPIO) Close() error {
	if c.err != nil {
		return c.err
	}
	c.ino = 0
	return c.header("TRAILER!!!", 0, 0, 1)
}

func (c *CPIO) entry(name string, mode uint32, data []byte) error {
	if c.err != nil {
		return c.err
	}
	name = strings.TrimPrefix(name, "/")
	if name == "" || strings.Contains(name, "..") || strings.HasPrefix(name, "TRAILER!!!") {
		return fmt.Errorf("cpio: bad name %q", name)
	}
	if c.names[name] {
		return fmt.Errorf("cpio: %s twice", name)
	}
	c.names[name] = true
	nlink := uint32(1)
	if mode&ModeDir != 0 {
		nlink = 2
	}
	if err := c.header(name, mode, uint32(len(data)), nlink); err != nil {
		return err
	}
	c.ino++
	return c.write(data, pad4(len(data)))
}

// header writes one newc header and the name, padded to 4 bytes.
func (c *CPIO) header(name string, mode, size, nlink uint32) error {
	// magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor,
	// devminor, rdevmajor, rdevminor, namesize (with its NUL), check.
	h := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		c.ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, len(name)+1, 0)
	return c.write([]byte(h+name+"\x00"), pad4(len(h)+len(name)+1))
}

func (c *CPIO) write(b []byte, pad int) error {
	if _, err := c.w.Write(b); err != nil {
		c.err = err
		return err
	}
	if _, err := c.w.Write(make([]byte, pad)); err != nil {
		c.err = err
		return err
	}
	return nil
}

func pad4(n int) int { return (4 - n%4) % 4 }
