package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup"
)

// releaseFIFO opens path for writing, which lets a reader stuck in open
// on it return (and read EOF), until done is ready or five seconds have
// passed: a test that failed then ends instead of hanging.
func releaseFIFO[T any](path string, done <-chan T) {
	for range 50 {
		if w, err := os.OpenFile(path, os.O_RDWR, 0); err == nil {
			w.Close()
		}
		select {
		case <-done:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// A FIFO where the disk belongs is refused with 66, at once: a plain open
// of it waits for a writer for ever.
func TestHostinfoDeviceFIFOIsRefused(t *testing.T) {
	fakeGuestRoot(t, guestHostA)
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan cliResult, 1)
	go func() { done <- runCLI(t, "", "hostinfo", "--device", fifo) }()
	var r cliResult
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		releaseFIFO(fifo, done)
		t.Fatal("hostinfo --device FIFO still blocked after 10 s")
	}
	want := "sfkvm hostinfo: " + fifo + " is not a block device or a regular file but a FIFO: not read\n"
	if r.code != exitNoInput || r.stdout != "" || r.stderr != want {
		t.Errorf("hostinfo --device FIFO: %+v, want exit 66 and stderr %q", r, want)
	}
}

// The disk's path turns into a FIFO while watching: the watch says so
// once on stderr, goes on, and prints the host when a disk is back.
func TestHostinfoWatchRecoversFromAFIFO(t *testing.T) {
	_, vdb := fakeGuestRoot(t, guestHostA)
	ctx, cancel := context.WithCancelCause(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"hostinfo", "--watch", "--interval", "5ms"}, strings.NewReader(""), &out, &errb)
	}()
	t.Cleanup(func() {
		cancel(errInterrupted)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			releaseFIFO(vdb, done) // a reader stuck in open: let it go
		}
	})
	waitLines(t, &out, 1)
	// Each change is a rename, so no reading falls between two states.
	if err := syscall.Mkfifo(vdb+".fifo", 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(vdb+".fifo", vdb); err != nil {
		t.Fatal(err)
	}
	waitLines(t, &errb, 1)
	time.Sleep(50 * time.Millisecond) // ten readings of the FIFO, one message
	if err := migratesetup.Register(context.Background(), vdb+".new", guestHostB); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(vdb+".new", vdb); err != nil {
		t.Fatal(err)
	}
	lines := waitLines(t, &out, 2)
	if !strings.Contains(lines[1], "host-cfname=cfhostB") {
		t.Errorf("after the disk came back: stdout %q", lines)
	}
	if got := errb.String(); strings.Count(got, "\n") != 1 || !strings.Contains(got, vdb+" is not a block device or a regular file but a FIFO") {
		t.Errorf("stderr %q, want one line about the FIFO", got)
	}
}
