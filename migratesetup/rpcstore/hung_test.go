package rpcstore_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"

	"github.com/sfkvm/sfkvm/internal/libvirtdtest"
	"github.com/sfkvm/sfkvm/migratesetup"
)

// incomingQEMU is the process id of the QEMU started -incoming for the
// domain name (the destination's), 0 when there is none.
func incomingQEMU(name string) int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		cmd, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || !bytes.Contains(cmd, []byte("guest="+name+",")) || !bytes.Contains(cmd, []byte("\x00-incoming\x00")) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(d))
		return pid
	}
	return 0
}

// A destination whose QEMU stops taking the stream (stopped with SIGSTOP
// once data moves, and left stopped: a hung host) is caught by the
// no-progress watchdog: MigrateTo fails with ErrMigrationStalled, the
// guest runs on the source, and the destination's cancel (its libvirt
// waits on the stopped QEMU) is given up after cancelTimeout, saying to
// check there, not after stepTimeout's two minutes. Once the QEMU goes
// on, the destination's libvirt finishes the cancel: no domain is left.
func TestMigrateToAHungDestination(t *testing.T) {
	a, b := libvirtdtest.TwoHosts(t)
	src, dst := open(t, a.URI), open(t, b.URI)
	lb := raw(t, b)
	ctx := context.Background()
	const name = "sfkvm-migrate-hung"
	if err := src.Define(ctx, migDomain(name, slowMiB)); err != nil {
		t.Fatal(err)
	}
	if err := src.Start(ctx, name); err != nil {
		t.Fatal(err)
	}
	opts := libvirtdtest.LoopbackMigration(t)
	opts.Bandwidth, opts.NoProgress = 1, 3*time.Second
	stopped := 0
	resume := func() {
		if stopped > 0 {
			syscall.Kill(stopped, syscall.SIGCONT)
		}
	}
	defer resume()
	var stoppedAt time.Time
	_, err := src.MigrateTo(ctx, name, dst, opts, func(migratesetup.MigrateProgress) {
		if stopped == 0 {
			if stopped = incomingQEMU(name); stopped > 0 {
				syscall.Kill(stopped, syscall.SIGSTOP)
				stoppedAt = time.Now()
			}
		}
	})
	took := time.Since(stoppedAt)
	t.Logf("MigrateTo %v after SIGSTOP: %v", took, err)
	if stopped == 0 {
		t.Fatalf("no QEMU of %s started -incoming was found while data moved", name)
	}
	if !errors.Is(err, migratesetup.ErrMigrationStalled) || !strings.Contains(err.Error(), "check there with virsh list --all") {
		t.Errorf("MigrateTo to a stopped destination: %v; want ErrMigrationStalled, and the cancel there named", err)
	}
	// The stall (3 s after the socket's buffers filled), the abort, the
	// cancel's 30 s: not stepTimeout's 2 min.
	if took > 100*time.Second {
		t.Errorf("MigrateTo returned %v after the destination hung", took)
	}
	if st, err := src.State(ctx, name); err != nil || st != migratesetup.StateRunning {
		t.Errorf("the guest on the source: %s, %v; want running", st, err)
	}
	resume()
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := lb.DomainLookupByName(name)
		if libvirt.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a minute after the destination's QEMU went on, its libvirt still has %s (%v)", name, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
