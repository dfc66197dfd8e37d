package migratesetup

import (
	"context"
	"errors"
	"os"
	"os/exec"
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

// GuestReadCommand on a guest whose disk path is a FIFO: exit 66 at once
// with the reason, where dd would wait for a writer for ever.
func TestGuestReadCommandRefusesAFIFO(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	root := fakeGuest(t, map[string]string{"vda": "rootdisk", "vdb": Serial}, cfhost1)
	vdb := filepath.Join(root, "dev", "vdb")
	if err := os.Remove(vdb); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(vdb, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := strings.ReplaceAll(strings.ReplaceAll(GuestReadCommand, "/sys/", root+"/sys/"), "/dev/", root+"/dev/")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var stderr strings.Builder
	c := exec.CommandContext(ctx, sh, "-c", cmd)
	c.Stderr = &stderr
	err = c.Run()
	if ctx.Err() != nil {
		t.Fatalf("GuestReadCommand on a FIFO still running after 10 s (killed): %v", err)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 66 || !strings.Contains(stderr.String(), vdb+" is not a block device or a regular file") {
		t.Errorf("GuestReadCommand on a FIFO: %v, stderr %q; want exit 66 and the reason", err, stderr.String())
	}
}
