package migratesetup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readGuestBounded runs ReadGuest on path and fails the test if it has not
// returned within a few seconds; a reader stuck in open on a FIFO is then
// released by opening the FIFO for writing (again, for a second open
// after the kernel refused O_DIRECT on the first).
func readGuestBounded(t *testing.T, path string) (HostInfo, error) {
	t.Helper()
	type result struct {
		h   HostInfo
		err error
	}
	done := make(chan result, 1)
	go func() {
		h, err := ReadGuest(context.Background(), path)
		done <- result{h, err}
	}()
	select {
	case r := <-done:
		return r.h, r.err
	case <-time.After(5 * time.Second):
		for range 50 {
			if w, err := os.OpenFile(path, os.O_RDWR, 0); err == nil {
				w.Close() // the reader's open returns, its read sees EOF
			}
			select {
			case <-done:
			case <-time.After(100 * time.Millisecond):
				continue
			}
			break
		}
		t.Fatalf("ReadGuest(%s) still blocked after 5 s", path)
		return HostInfo{}, nil
	}
}

func TestReadGuestRefusesWhatIsNotADisk(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for path, kind := range map[string]string{fifo: "a FIFO", os.DevNull: "a character device", dir: "a folder"} {
		_, err := readGuestBounded(t, path)
		if !errors.Is(err, ErrNotDisk) || !strings.Contains(err.Error(), kind) || !strings.HasPrefix(err.Error(), path+" ") {
			t.Errorf("ReadGuest(%s) = %v, want ErrNotDisk naming %s", path, err, kind)
		}
	}
}

func TestReadGuestRefusesAFIFOWithoutODirect(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	var flags []int
	noDirect(t, &flags) // the open without O_DIRECT must not block either
	if _, err := readGuestBounded(t, fifo); !errors.Is(err, ErrNotDisk) {
		t.Errorf("ReadGuest(FIFO) without O_DIRECT = %v, want ErrNotDisk", err)
	}
}
