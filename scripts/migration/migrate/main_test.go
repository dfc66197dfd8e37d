package main

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sfkvm/sfkvm/internal/migrationtest"
	"github.com/sfkvm/sfkvm/migratesetup"
)

func TestConsoleFileFollowsWholeLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console")
	c := &consoleFile{path: path}
	if err := c.poll(); err != nil || len(c.all) != 0 {
		t.Fatalf("before the file exists: %v, %v", c.all, err)
	}
	r := migrationtest.Report{N: 1, Boot: "b", Direct: "cfhostA", Held: "cfhostA", Plain: "cfhostA"}
	line := r.String() + "\n"
	// The kernel's noise, then a report cut in two by a poll.
	if err := os.WriteFile(path, []byte("[ 0.1] virtio_blk\n"+line[:10]), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.poll(); err != nil || len(c.all) != 0 {
		t.Fatalf("a partial line: %v, %v", c.all, err)
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(line[10:])
	f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	got, _, err := c.waitFor(ctx, "cfhostA", func(r migrationtest.Report) bool { return r.Direct == "cfhostA" })
	if err != nil || got != r {
		t.Errorf("waitFor = %+v, %v", got, err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, _, err := c.waitFor(ctx2, "cfhostB", func(r migrationtest.Report) bool { return r.Direct == "cfhostB" }); err == nil || !strings.Contains(err.Error(), "cfhostB not seen in ") || !strings.Contains(err.Error(), "(last report: SFKVM n=1") {
		t.Errorf("waitFor an absent report: %v", err)
	}
}

func TestConsoleFileGuestError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console")
	os.WriteFile(path, []byte("SFKVM-ERROR loading /modules/virtio.ko: exec format error\n"), 0o644)
	c := &consoleFile{path: path}
	if err := c.poll(); err == nil || !strings.Contains(err.Error(), "the guest says: SFKVM-ERROR loading") {
		t.Errorf("poll: %v", err)
	}
}

func TestRegister(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hostinfo")
	if err := register([]string{path, "cfhostB", "192.0.2.2"}); err != nil {
		t.Fatal(err)
	}
	got, err := migratesetup.ReadGuest(context.Background(), path)
	if err != nil || got.CFName != "cfhostB" || got.IP.String() != "192.0.2.2" {
		t.Errorf("ReadGuest = %+v, %v", got, err)
	}
}

func TestConsoleFileStopsWhenTheQEMUIsGone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console")
	os.WriteFile(path, nil, 0o644)
	c := &consoleFile{path: path, alive: func(context.Context) error { return errors.New("host B's QEMU: EOF") }}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, _, err := c.waitFor(ctx, "cfhostB", func(migrationtest.Report) bool { return false })
	if err == nil || !strings.Contains(err.Error(), "host B's QEMU: EOF") || time.Since(start) > 5*time.Second {
		t.Errorf("waitFor: %v after %v", err, time.Since(start))
	}
}

func TestFreePort(t *testing.T) {
	var b strings.Builder
	if err := freePort(&b); err != nil {
		t.Fatal(err)
	}
	port := strings.TrimSpace(b.String())
	l, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatalf("port %s is not free: %v", port, err)
	}
	l.Close()
}

// A console that stays silent ends the wait at the stall limit, not at
// the end of the budget, and says so (fake time: testing/synctest).
func TestConsoleFileStall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console")
	os.WriteFile(path, []byte(migrationtest.Report{N: 7, Boot: "b", Direct: "cfhostB", Held: "cfhostA", Plain: "cfhostA"}.String()+"\n"), 0o644)
	synctest.Test(t, func(t *testing.T) {
		c := &consoleFile{path: path, stall: time.Minute, evidence: func(context.Context) string { return "status running" }}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		start := time.Now()
		_, _, err := c.waitFor(ctx, "a report with the held descriptor closed", func(r migrationtest.Report) bool { return r.Held == "closed" })
		took := time.Since(start)
		if err == nil || !strings.Contains(err.Error(), "silent for 1m0s") || !strings.Contains(err.Error(), "n=7") ||
			!strings.Contains(err.Error(), "QEMU: status running") || took < time.Minute || took > 2*time.Minute {
			t.Errorf("waitFor: %v after %v", err, took)
		}
	})
}
