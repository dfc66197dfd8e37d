//go:build cgo

package libvirtstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/sfkvm/sfkvm/internal/libvirtdtest"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/libvirtstore"
	"github.com/sfkvm/sfkvm/migratesetup/storetest"
)

// migDomain is a guest that migrates, with storetest's VNC password on a
// display that listens nowhere: a TCP port, chosen by each daemon on its
// own, collides between the daemons running at once.
func migDomain(name string, mem int) string {
	return libvirtdtest.MigratableXML(name, mem, fmt.Sprintf("<graphics type='vnc' passwd='%s'><listen type='none'/></graphics>\n    ", storetest.Secret))
}

// slowMiB is the memory of the guest whose migration the tests throttle:
// 8 GiB, never touched (not resident), takes about 15 s at 1 MiB/s.
const slowMiB = 8192

// connect opens uri with libvirt's own client, for what the Store does
// not do (undefine, read the job's tunables).
func connect(t *testing.T, uri string) *libvirt.Connect {
	t.Helper()
	c, err := libvirt.NewConnect(uri)
	if err != nil {
		t.Fatalf("connecting to %s: %v", uri, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// The cgo store migrates between two real libvirt daemons as the
// conformance suite of migratesetup.Migrator wants, as the RPC store
// does: the same suite, the same guests, the same options.
func TestMigratorConformance(t *testing.T) {
	open(t, "test:///default") // skips where libvirt's library is unusable
	a, b := libvirtdtest.TwoHosts(t)
	ca, cb := connect(t, a.URI), connect(t, b.URI)
	conns := map[migratesetup.Migrator]*libvirt.Connect{}
	storetest.TestMigrator(t, storetest.MigrationHarness{
		Pair: func(t *testing.T) (migratesetup.Migrator, migratesetup.Migrator) {
			src, dst := open(t, a.URI), open(t, b.URI)
			conns[src], conns[dst] = ca, cb
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
		Remove: func(t *testing.T, s migratesetup.Migrator, name string) {
			d, err := conns[s].LookupDomainByName(name)
			if err == nil {
				err = d.Undefine()
				d.Free()
			}
			if err != nil && !errors.Is(err, libvirt.ERR_NO_DOMAIN) {
				t.Errorf("undefining %s: %v", name, err)
			}
		},
	})
}

// MaxDowntime and Bandwidth reach the running job, read back from the
// source while the migration runs, which the test then cancels.
func TestMigrateTunables(t *testing.T) {
	open(t, "test:///default")
	a, b := libvirtdtest.TwoHosts(t)
	src, dst := open(t, a.URI), open(t, b.URI)
	ca := connect(t, a.URI)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const name = "sfkvm-migrate-tunables"
	if err := src.Define(ctx, migDomain(name, slowMiB)); err != nil {
		t.Fatal(err)
	}
	if err := src.Start(ctx, name); err != nil {
		t.Fatal(err)
	}
	dom, err := ca.LookupDomainByName(name)
	if err != nil {
		t.Fatal(err)
	}
	defer dom.Free()
	opts := libvirtdtest.LoopbackMigration(t)
	opts.Bandwidth, opts.MaxDowntime = 1, 1234*time.Millisecond
	var downtime, bandwidth uint64
	var readErr error
	reports := 0
	_, err = src.MigrateTo(ctx, name, dst, opts, func(p migratesetup.MigrateProgress) {
		reports++
		downtime, readErr = dom.MigrateGetMaxDowntime(0)
		if readErr == nil {
			bandwidth, readErr = dom.MigrateGetMaxSpeed(0)
		}
		cancel()
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("MigrateTo, cancelled at the first report: %v", err)
	}
	if reports == 0 || readErr != nil || downtime != 1234 || bandwidth != 1 {
		t.Errorf("while the job ran: max downtime %d ms, bandwidth %d MiB/s (%v, %d reports); want 1234 and 1", downtime, bandwidth, readErr, reports)
	}
	if st, err := src.State(context.Background(), name); err != nil || st != migratesetup.StateRunning {
		t.Errorf("the guest on the source after the cancel: %s, %v", st, err)
	}
}

var _ migratesetup.Migrator = (*libvirtstore.Store)(nil)
