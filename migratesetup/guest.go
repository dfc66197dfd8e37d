package migratesetup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"unsafe"
)

// ReadGuest is the guest's side: it reads the host information from the
// disk that SetupGuest gave the guest, at GuestDevice, or at device when
// that is not empty.
//
// It reads with O_DIRECT, bypassing the guest's page cache: after a live
// migration the disk is backed by the destination host's file, and a
// cached read would still show the source host. Where O_DIRECT is refused
// (EINVAL from a file system without it, such as a tmpfs copy used in
// tests) it reads normally, which is right for a file that cannot change
// under a migration.
func ReadGuest(ctx context.Context, device string) (HostInfo, error) {
	if device == "" {
		device = GuestDevice
	}
	if err := ctx.Err(); err != nil {
		return HostInfo{}, err
	}
	data, err := readDirect(device)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return HostInfo{}, fmt.Errorf("no host information disk at %s (is this guest set up with sfkvm migratesetup -s, and started since?): %w", device, err)
		}
		return HostInfo{}, err
	}
	return parseBytes(data, device)
}

// directAlign is the buffer alignment O_DIRECT needs: the logical block
// size, at most 4096 on the disks we meet.
const directAlign = 4096

// openFile is os.OpenFile, replaced in tests to make O_DIRECT fail the way
// a file system without it does.
var openFile = os.OpenFile

// readDirect reads up to MaxFileSize+1 bytes of path, with O_DIRECT when it
// can.
func readDirect(path string) ([]byte, error) {
	f, err := openFile(path, os.O_RDONLY|oDirect, 0)
	direct := oDirect != 0
	if errors.Is(err, syscall.EINVAL) && direct {
		f, err = openFile(path, os.O_RDONLY, 0)
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
		g, gerr := openFile(path, os.O_RDONLY, 0)
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
