package rpcstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"

	"github.com/sfkvm/sfkvm/internal/libvirtdtest"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/rpcstore"
	"github.com/sfkvm/sfkvm/migratesetup/storetest"
)

// migDomain is a guest that migrates, with storetest's VNC password on a
// display that listens nowhere: a TCP port, chosen by each daemon on its
// own, collides between the daemons running at once.
func migDomain(name string, mem int) string {
	return libvirtdtest.MigratableXML(name, mem, fmt.Sprintf("<graphics type='vnc' passwd='%s'><listen type='none'/></graphics>\n    ", storetest.Secret))
}

// The RPC store migrates between two real libvirt daemons as the
// conformance suite of migratesetup.Migrator wants: live, persistent on
// the destination, undefined at the source; refused, timed out and
// cancelled migrations leave the guest running on the source.
func TestMigratorConformance(t *testing.T) {
	a, b := libvirtdtest.TwoHosts(t)
	raws := map[migratesetup.Migrator]*libvirt.Libvirt{}
	la, lb := raw(t, a), raw(t, b)
	storetest.TestMigrator(t, storetest.MigrationHarness{
		Pair: func(t *testing.T) (migratesetup.Migrator, migratesetup.Migrator) {
			src, dst := open(t, a.URI), open(t, b.URI)
			raws[src], raws[dst] = la, lb
			return src, dst
		},
		Domain:     func(t *testing.T, name string) string { return migDomain(name, 64) },
		SlowDomain: func(t *testing.T, name string) string { return migDomain(name, slowMiB) },
		Options:    func(t *testing.T) migratesetup.MigrateOptions { return libvirtdtest.LoopbackMigration(t) },
		Slow: func(t *testing.T, _ migratesetup.Migrator, o *migratesetup.MigrateOptions) {
			o.Bandwidth = 1 // MiB/s: libvirt's least
		},
		// Begin and Prepare (QEMU starting on the destination) take seconds
		// on a busy machine; the throttled job then takes about 15 more.
		Timeout: 10 * time.Second,
		// Seen with the cgo store on the same libvirt (an abort, or a
		// query, sent as the data begins to move, held until the migration
		// completed); not yet here, but the cause is libvirt's.
		AbortMayBeLost: true,
		Remove: func(t *testing.T, s migratesetup.Migrator, name string) {
			l := raws[s]
			dom, err := l.DomainLookupByName(name)
			if err == nil {
				err = l.DomainUndefine(dom)
			}
			if err != nil && !libvirt.IsNotFound(err) {
				t.Errorf("undefining %s: %v", name, err)
			}
		},
	})
}

// slowMiB is the memory of the guest whose migration the tests throttle:
// 8 GiB, never touched (not resident), takes about 15 s at 1 MiB/s.
const slowMiB = 8192

// MaxDowntime reaches the running job (libvirt takes it once the job
// runs), and Bandwidth throttles it: read back from the source while the
// migration runs, which the test then cancels.
func TestMigrateTunables(t *testing.T) {
	a, b := libvirtdtest.TwoHosts(t)
	src, dst := open(t, a.URI), open(t, b.URI)
	la := raw(t, a)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const name = "sfkvm-migrate-tunables"
	if err := src.Define(ctx, migDomain(name, slowMiB)); err != nil {
		t.Fatal(err)
	}
	if err := src.Start(ctx, name); err != nil {
		t.Fatal(err)
	}
	dom, err := la.DomainLookupByName(name)
	if err != nil {
		t.Fatal(err)
	}
	opts := libvirtdtest.LoopbackMigration(t)
	opts.Bandwidth, opts.MaxDowntime = 1, 1234*time.Millisecond
	var downtime, bandwidth uint64
	var readErr error
	reports := 0
	_, err = src.MigrateTo(ctx, name, dst, opts, func(p migratesetup.MigrateProgress) {
		// At the second report (see storetest's CancelAborts for why).
		if reports++; reports < 2 {
			return
		}
		downtime, readErr = la.DomainMigrateGetMaxDowntime(dom, 0)
		if readErr == nil {
			bandwidth, readErr = la.DomainMigrateGetMaxSpeed(dom, 0)
		}
		cancel()
	})
	if err == nil {
		// libvirt held the calls until the migration completed (see
		// AbortMayBeLost in TestMigratorConformance).
		if st, err := dst.State(context.Background(), name); err != nil || st != migratesetup.StateRunning {
			t.Fatalf("MigrateTo reported a completed migration, but on the destination: %s, %v", st, err)
		}
		t.Logf("KNOWN FLAKE: libvirt let the cancelled migration complete; the tunables were not checked")
		return
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("MigrateTo, cancelled at the second report: %v", err)
	}
	if reports == 0 || readErr != nil || downtime != 1234 || bandwidth != 1 {
		t.Errorf("while the job ran: max downtime %d ms, bandwidth %d MiB/s (%v, %d reports); want 1234 and 1", downtime, bandwidth, readErr, reports)
	}
	if st, err := src.State(context.Background(), name); err != nil || st != migratesetup.StateRunning {
		t.Errorf("the guest on the source after the cancel: %s, %v", st, err)
	}
}

// A context that ends between Prepare and Perform (the destination's QEMU
// waits for the stream) cancels on both sides: the destination kills its
// QEMU, the source ends its job, and the guest runs on the source only.
func TestMigrateCancelledAfterPrepare(t *testing.T) {
	a, b := libvirtdtest.TwoHosts(t)
	src, dst := open(t, a.URI), open(t, b.URI)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const name = "sfkvm-migrate-prepared"
	if err := src.Define(ctx, migDomain(name, 64)); err != nil {
		t.Fatal(err)
	}
	if err := src.Start(ctx, name); err != nil {
		t.Fatal(err)
	}
	defer rpcstore.SetAfterPrepare(cancel)()
	_, err := src.MigrateTo(ctx, name, dst, libvirtdtest.LoopbackMigration(t), nil)
	if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "failed too") {
		t.Fatalf("MigrateTo cancelled after Prepare: %v; want context.Canceled, cleaned up", err)
	}
	bg := context.Background()
	if st, err := src.State(bg, name); err != nil || st != migratesetup.StateRunning {
		t.Errorf("the guest on the source: %s, %v; want running", st, err)
	}
	if st, err := dst.State(bg, name); !errors.Is(err, migratesetup.ErrNoDomain) {
		t.Errorf("the guest on the destination: %s, %v; want none", st, err)
	}
	// The source's job is over: the guest migrates now.
	if _, err := src.MigrateTo(bg, name, dst, libvirtdtest.LoopbackMigration(t), nil); err != nil {
		t.Fatalf("migrating after the cancelled attempt: %v", err)
	}
	if st, err := dst.State(bg, name); err != nil || st != migratesetup.StateRunning {
		t.Errorf("the guest on the destination: %s, %v; want running", st, err)
	}
}

// Resumed comes once the domain runs on the destination (Finish) and
// before the source's Confirm: the source still has it then, paused.
func TestResumedBeforeConfirm(t *testing.T) {
	a, b := libvirtdtest.TwoHosts(t)
	src, dst := open(t, a.URI), open(t, b.URI)
	la := raw(t, a)
	ctx := context.Background()
	const name = "sfkvm-migrate-resumed"
	if err := src.Define(ctx, migDomain(name, 64)); err != nil {
		t.Fatal(err)
	}
	if err := src.Start(ctx, name); err != nil {
		t.Fatal(err)
	}
	opts := libvirtdtest.LoopbackMigration(t)
	calls := 0
	var onDst migratesetup.State
	var dstErr, srcErr error
	var srcState int32
	opts.Resumed = func() {
		calls++
		onDst, dstErr = dst.State(ctx, name)
		var dom libvirt.Domain
		if dom, srcErr = la.DomainLookupByName(name); srcErr == nil {
			srcState, _, srcErr = la.DomainGetState(dom, 0)
		}
	}
	if _, err := src.MigrateTo(ctx, name, dst, opts, nil); err != nil {
		t.Fatal(err)
	}
	if calls != 1 || dstErr != nil || onDst != migratesetup.StateRunning {
		t.Errorf("Resumed: %d calls, the destination said %s, %v; want once, running", calls, onDst, dstErr)
	}
	if srcErr != nil || srcState != int32(libvirt.DomainPaused) {
		t.Errorf("at Resumed the source said %d, %v; want the domain still there, paused (Confirm not yet run)", srcState, srcErr)
	}
	if _, err := src.State(ctx, name); !errors.Is(err, migratesetup.ErrNoDomain) {
		t.Errorf("after MigrateTo the source: %v; want no domain", err)
	}
}
