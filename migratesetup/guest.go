package migratesetup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"unsafe"

	"github.com/sfkvm/sfkvm/internal/safefile"
)

// ErrNoGuestDisk is matched (errors.Is) when a guest has no host
// information disk: no block device with the serial Serial, nor
// GuestDevice, nor the device path given. It also matches os.ErrNotExist.
// The error's text says what to check: that the guest was set up with
// `sfkvm migratesetup -s` on its host and started since.
var ErrNoGuestDisk = errors.New("no host information disk")

// noDiskHint is what a guest without the disk should check.
const noDiskHint = "is this guest set up with sfkvm migratesetup -s on its host, and started since?"

type noDiskError struct {
	msg string
	err error // the file system's error, when there is one
}

func (e *noDiskError) Error() string { return e.msg }
func (e *noDiskError) Unwrap() []error {
	if e.err != nil {
		return []error{ErrNoGuestDisk, os.ErrNotExist, e.err}
	}
	return []error{ErrNoGuestDisk, os.ErrNotExist}
}

// FindGuestDevice returns the path of the host information disk inside a
// Linux guest, without udev: the block device NAME whose
// /sys/block/NAME/serial reads Serial, as /dev/NAME; else GuestDevice
// (udev's link) when it exists. root is the file system root ("" or "/"
// for the real one; tests give a folder holding sys/block and dev), and
// the path returned is under it. The error, when no disk is found, is
// ErrNoGuestDisk.
//
// A virtio disk's serial is at most 20 bytes; "sfkvm-hostinfo" fits, so
// the kernel shows it whole.
func FindGuestDevice(root string) (string, error) {
	if root == "" {
		root = "/"
	}
	block := filepath.Join(root, "sys", "block")
	entries, err := os.ReadDir(block)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("listing %s: %w", block, err)
	}
	for _, e := range entries { // sorted by name: vda before vdb
		serial, err := os.ReadFile(filepath.Join(block, e.Name(), "serial"))
		if err != nil {
			continue // a device without a serial (a loop, a ram disk)
		}
		if strings.TrimRight(string(serial), "\x00\n ") == Serial {
			return filepath.Join(root, "dev", e.Name()), nil
		}
	}
	byID := filepath.Join(root, GuestDevice)
	if _, err := os.Stat(byID); err == nil {
		return byID, nil
	}
	return "", &noDiskError{msg: fmt.Sprintf("no host information disk: no block device in %s has the serial %s, and %s does not exist (%s)", block, Serial, byID, noDiskHint)}
}

// ReadGuest is the guest's side: it reads the host information from the
// disk that SetupGuest gave the guest, found by FindGuestDevice, or at
// device when that is not empty.
//
// It reads with O_DIRECT, bypassing the guest's page cache: after a live
// migration the disk is backed by the destination host's file, but pages
// the guest read before stay in its cache, and a plain read served from
// them still shows the source host. (What scripts/migration-test.sh
// observed under QEMU 7.2 with a Debian 6.1 guest kernel: a descriptor
// held open across the migration reads the source host for as long as it
// stays open, and so does a plain read that opens and closes the device
// each time while any descriptor on it is open; once the last descriptor
// is closed the kernel drops the device's cache, and the next plain read
// shows the destination host. O_DIRECT reads the destination host at
// once, whatever else holds the device open.) Where O_DIRECT is refused
// (EINVAL from a file system without it, such as a tmpfs copy used in
// tests) it reads normally, which is right for a file that cannot change
// under a migration.
//
// Only a block device or a regular file is read: anything else at the
// path (a FIFO, a character device, a folder) is ErrNotDisk, found by a
// non-blocking open, so a FIFO cannot hold the reader (or a watch) for
// ever. A missing disk is ErrNoGuestDisk, with what to check.
func ReadGuest(ctx context.Context, device string) (HostInfo, error) {
	if err := ctx.Err(); err != nil {
		return HostInfo{}, err
	}
	if device == "" {
		d, err := FindGuestDevice("/")
		if err != nil {
			return HostInfo{}, err
		}
		device = d
	}
	data, err := readDirect(device)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return HostInfo{}, &noDiskError{msg: fmt.Sprintf("no host information disk at %s (%s): %v", device, noDiskHint, err), err: err}
		}
		return HostInfo{}, err
	}
	return parseBytes(data, device)
}

// ParseDisk parses host information from raw bytes read from the start
// of a guest's host information disk, by any means: the output of
// GuestReadCommand run over SSH, say. data may be cut at any sector
// boundary past the text (the disk is the file, padded with zero bytes to
// whole sectors). name is used in the diagnostics only. Empty data is an
// error of its own (the command read nothing). The error, when the bytes
// do not parse, is Diagnostics, as from Parse.
func ParseDisk(data []byte, name string) (HostInfo, error) {
	if len(data) == 0 {
		return HostInfo{}, fmt.Errorf("%s: no bytes read from the host information disk", name)
	}
	return parseBytes(data, name)
}

// GuestReadCommand is a POSIX shell command line that prints the raw
// bytes of a guest's host information disk (at most MaxFileSize) on
// stdout, for a caller outside the guest with no sfkvm on it, to pass to
// ParseDisk. It finds the disk as FindGuestDevice does (the sysfs serial,
// then udev's link) and reads it with dd and O_DIRECT, so that the guest's
// page cache cannot show a previous host. Reading a block device needs
// root: run it as
//
//	ssh guest sudo -n sh -c "'$GuestReadCommand'"
//
// (the command holds no single quote). It exits 66 (EX_NOINPUT) with a
// message on stderr when the guest has no such disk or when what it found
// is neither a block device nor a regular file (dd would wait for ever on
// a FIFO, as ReadGuest would: see ErrNotDisk), and with dd's status when
// the read fails.
const GuestReadCommand = `d=; for f in /sys/block/*/serial; do [ "$(cat "$f" 2>/dev/null)" = ` + Serial + ` ] && { d=${f%/serial}; d=/dev/${d##*/}; break; }; done; [ -n "$d" ] || { [ -e ` + GuestDevice + ` ] && d=` + GuestDevice + `; }; [ -n "$d" ] || { echo "sfkvm: no host information disk (no block device with the serial ` + Serial + `)" >&2; exit 66; }; [ -b "$d" ] || [ -f "$d" ] || { echo "sfkvm: $d is not a block device or a regular file: not read" >&2; exit 66; }; exec dd if="$d" bs=512 count=128 iflag=direct status=none`

// directAlign is the buffer alignment O_DIRECT needs: the logical block
// size, at most 4096 on the disks we meet.
const directAlign = 4096

// openFile is os.OpenFile, replaced in tests to make O_DIRECT fail the way
// a file system without it does.
var openFile = os.OpenFile

// ErrNotDisk is matched (errors.Is) when the path ReadGuest is to read is
// neither a block device nor a regular file (a FIFO, a character device, a
// folder, a socket). Such a path is refused after a non-blocking open and
// never read: opening a FIFO the ordinary way waits for a writer for ever,
// and a character device may never end.
var ErrNotDisk = errors.New("is not a block device or a regular file")

// notDiskError is ErrNotDisk for one path, saying what was found there.
type notDiskError struct{ path, found string }

func (e *notDiskError) Error() string {
	return fmt.Sprintf("%s %v but %s: not read", e.path, ErrNotDisk, e.found)
}
func (e *notDiskError) Unwrap() error { return ErrNotDisk }

// openDisk opens path for reading with flag added, without blocking
// (oNonblock), and keeps it open only when it is a block device or a
// regular file.
func openDisk(path string, flag int) (*os.File, error) {
	f, err := openFile(path, os.O_RDONLY|flag|oNonblock, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	m := fi.Mode()
	if isBlock := m&os.ModeDevice != 0 && m&os.ModeCharDevice == 0; !isBlock && !m.IsRegular() {
		f.Close()
		return nil, &notDiskError{path: path, found: safefile.TypeName(m)}
	}
	if err := setBlocking(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// readDirect reads up to MaxFileSize+1 bytes of path, with O_DIRECT when it
// can.
func readDirect(path string) ([]byte, error) {
	f, err := openDisk(path, oDirect)
	direct := oDirect != 0
	if errors.Is(err, syscall.EINVAL) && direct {
		f, err = openDisk(path, 0)
		direct = false
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := alignedBuffer(MaxFileSize+directAlign, directAlign)
	n, err := readFull(f, buf)
	if errors.Is(err, syscall.EINVAL) && direct {
		// Some file systems accept the flag at open and refuse the read.
		g, gerr := openDisk(path, 0)
		if gerr != nil {
			return nil, gerr
		}
		defer g.Close()
		n, err = readFull(g, buf)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return buf[:n], nil
}

// readFull reads until EOF or a full buffer. Each read asks for the rest
// of the buffer, a multiple of directAlign, as O_DIRECT requires.
func readFull(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if m == 0 || m%directAlign != 0 {
			// A short read that is not block-sized is the end of the file;
			// reading on would ask O_DIRECT for an unaligned offset.
			return n, nil
		}
	}
	return n, nil
}

// alignedBuffer returns size bytes whose first byte is aligned to align.
func alignedBuffer(size, align int) []byte {
	b := make([]byte, size+align)
	off := 0
	if rem := int(uintptr(unsafe.Pointer(&b[0])) % uintptr(align)); rem != 0 {
		off = align - rem
	}
	return b[off : off+size]
}
