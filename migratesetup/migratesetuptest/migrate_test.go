package migratesetuptest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/migratesetuptest"
	"github.com/sfkvm/sfkvm/migratesetup/storetest"
)

// The fake passes the Migrator conformance suite the libvirt stores pass.
func TestMigratorConformance(t *testing.T) {
	storetest.TestMigrator(t, storetest.MigrationHarness{
		Pair: func(t *testing.T) (migratesetup.Migrator, migratesetup.Migrator) {
			return migratesetuptest.New(nil), migratesetuptest.New(nil)
		},
		Domain: func(t *testing.T, name string) string { return storetest.TestDomain(name) },
		Slow: func(t *testing.T, src migratesetup.Migrator, _ *migratesetup.MigrateOptions) {
			src.(*migratesetuptest.Store).SetMigration(migratesetuptest.Migration{Steps: 100, Step: 50 * time.Millisecond, Poll: 100 * time.Millisecond})
		},
		Timeout: 500 * time.Millisecond,
	})
}

// pair returns two fakes, the first running guest g.
func pair(t *testing.T) (src, dst *migratesetuptest.Store) {
	t.Helper()
	src = migratesetuptest.New(map[string]*migratesetuptest.Domain{
		"g": {XML: storetest.TestDomain("g"), State: migratesetup.StateShutoff},
	})
	if err := src.Start(context.Background(), "g"); err != nil {
		t.Fatal(err)
	}
	return src, migratesetuptest.New(nil)
}

// stillAtSource checks what every failed migration leaves: g running on
// the source, nothing on the destination.
func stillAtSource(t *testing.T, src, dst *migratesetuptest.Store) {
	t.Helper()
	if d, ok := src.Domain("g"); !ok || d.State != migratesetup.StateRunning || d.Transient {
		t.Errorf("source after a failed migration: %+v, %v; want g running and persistent", d, ok)
	}
	if d, ok := dst.Domain("g"); ok {
		t.Errorf("destination after a failed migration holds g: %+v", d)
	}
}

// The data moves in the steps the test chose, each poll reporting it, and
// the stats give the time and the data; the live definition moves along.
func TestMigrateSteps(t *testing.T) {
	src, dst := pair(t)
	if err := src.SetLiveXML("g", "<domain><name>g</name><live/></domain>"); err != nil {
		t.Fatal(err)
	}
	src.SetMigration(migratesetuptest.Migration{Steps: 5, Step: 20 * time.Millisecond, DataTotal: 1000, Downtime: 7 * time.Millisecond})
	var seen []migratesetup.MigrateProgress
	stats, err := src.MigrateTo(context.Background(), "g", dst, migratesetup.MigrateOptions{}, func(p migratesetup.MigrateProgress) { seen = append(seen, p) })
	if err != nil {
		t.Fatal(err)
	}
	if stats.DataTotal != 1000 || stats.Downtime != 7*time.Millisecond || stats.Elapsed < 100*time.Millisecond {
		t.Errorf("stats %+v; want 1000 bytes, 7 ms down, at least 5 steps of 20 ms", stats)
	}
	if len(seen) < 3 {
		t.Fatalf("progress reports %+v; want one per step", seen)
	}
	for i, p := range seen {
		if p.DataTotal != 1000 || p.DataProcessed+p.DataRemaining != 1000 || (i > 0 && p.DataProcessed < seen[i-1].DataProcessed) {
			t.Errorf("report %d: %+v (after %+v)", i, p, seen[max(i-1, 0)])
		}
	}
	if _, ok := src.Domain("g"); ok {
		t.Error("g is still defined on the source")
	}
	d, ok := dst.Domain("g")
	if !ok || d.State != migratesetup.StateRunning || d.Transient || d.XML != storetest.TestDomain("g") || !strings.Contains(d.Live, "<live/>") {
		t.Errorf("g on the destination: %+v, %v; want it running with both definitions", d, ok)
	}
	if calls := src.MigrateCalls(); len(calls) != 1 || calls[0].Domain != "g" || calls[0].Options.Resumed != nil || calls[0].Options.URI != "" || calls[0].Options.Timeout != 0 {
		t.Errorf("MigrateCalls: %+v", calls)
	}
	if src.Calls("MigrateTo") != 1 || dst.Calls("MigratePrepare") != 1 || dst.Calls("MigrateFinish") != 1 || src.Calls("MigrateAbort") != 0 {
		t.Errorf("calls: MigrateTo %d, MigratePrepare %d, MigrateFinish %d, MigrateAbort %d", src.Calls("MigrateTo"), dst.Calls("MigratePrepare"), dst.Calls("MigrateFinish"), src.Calls("MigrateAbort"))
	}
}

// Each injected refusal fails the migration with the guest on the source
// and libvirt's words in the error.
func TestMigrateRefusals(t *testing.T) {
	for _, c := range []struct{ store, method string }{
		{"source", "MigrateTo"},
		{"destination", "MigratePrepare"},
		{"destination", "MigrateFinish"},
	} {
		t.Run(c.method, func(t *testing.T) {
			src, dst := pair(t)
			at := src
			if c.store == "destination" {
				at = dst
			}
			at.Fail = func(method, domain string) error {
				if method == c.method && domain == "g" {
					return errors.New("operation failed: injected " + method)
				}
				return nil
			}
			opts := migratesetup.MigrateOptions{Timeout: time.Minute, MaxDowntime: time.Second, URI: "tcp://192.0.2.2:49152"}
			_, err := src.MigrateTo(context.Background(), "g", dst, opts, nil)
			if err == nil || !strings.Contains(err.Error(), "injected "+c.method) {
				t.Fatalf("MigrateTo with %s failing: %v", c.method, err)
			}
			if calls := src.MigrateCalls(); len(calls) != 1 || calls[0].Options.URI != opts.URI || calls[0].Options.Timeout != opts.Timeout || calls[0].Options.MaxDowntime != opts.MaxDowntime {
				t.Errorf("MigrateCalls of a refused migration: %+v", calls)
			}
			stillAtSource(t, src, dst)
		})
	}
}

// A job that stops moving data is aborted after NoProgress, not before,
// and the error gives the figures.
func TestMigrateStalls(t *testing.T) {
	src, dst := pair(t)
	src.SetMigration(migratesetuptest.Migration{Steps: 10, Step: 10 * time.Millisecond, StallAfter: 3})
	start := time.Now()
	_, err := src.MigrateTo(context.Background(), "g", dst, migratesetup.MigrateOptions{NoProgress: 300 * time.Millisecond, Timeout: 10 * time.Second}, nil)
	took := time.Since(start)
	if !errors.Is(err, migratesetup.ErrMigrationStalled) || errors.Is(err, migratesetup.ErrMigrationTimeout) {
		t.Fatalf("a stalled migration: %v; want ErrMigrationStalled", err)
	}
	if took < 300*time.Millisecond || took > 5*time.Second {
		t.Errorf("aborted after %s; want after the 300 ms without progress", took)
	}
	if !strings.Contains(err.Error(), "19.2 MiB of 64.0 MiB moved") {
		t.Errorf("the error lacks the figures: %v", err)
	}
	if src.Calls("MigrateAbort") == 0 {
		t.Error("the job was not aborted")
	}
	stillAtSource(t, src, dst)
}

// A migration that keeps moving data is not taken for a stalled one.
func TestMigrateSlowIsNotStalled(t *testing.T) {
	src, dst := pair(t)
	src.SetMigration(migratesetuptest.Migration{Steps: 20, Step: 20 * time.Millisecond, Poll: 10 * time.Millisecond})
	if _, err := src.MigrateTo(context.Background(), "g", dst, migratesetup.MigrateOptions{NoProgress: 100 * time.Millisecond}, nil); err != nil {
		t.Fatalf("a slow but moving migration: %v", err)
	}
	if d, ok := dst.Domain("g"); !ok || d.State != migratesetup.StateRunning {
		t.Errorf("g on the destination: %+v, %v", d, ok)
	}
}

// A context that has ended before the call starts nothing.
func TestMigrateEndedContext(t *testing.T) {
	src, dst := pair(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.MigrateTo(ctx, "g", dst, migratesetup.MigrateOptions{}, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("MigrateTo with an ended context: %v", err)
	}
	if dst.Calls("MigratePrepare") != 0 {
		t.Error("the destination was asked to prepare")
	}
	stillAtSource(t, src, dst)
}

// Resumed is called once, the domain running on the destination, and
// MigrateTo returns Confirm later.
func TestMigrateResumed(t *testing.T) {
	src, dst := pair(t)
	src.SetMigration(migratesetuptest.Migration{Confirm: 50 * time.Millisecond})
	calls := 0
	var at time.Time
	opts := migratesetup.MigrateOptions{Resumed: func() {
		calls++
		at = time.Now()
		if d, ok := dst.Domain("g"); !ok || d.State != migratesetup.StateRunning {
			t.Errorf("at Resumed, g on the destination: %+v, %v; want running", d, ok)
		}
	}}
	if _, err := src.MigrateTo(context.Background(), "g", dst, opts, nil); err != nil {
		t.Fatal(err)
	}
	if calls != 1 || time.Since(at) < 50*time.Millisecond {
		t.Errorf("Resumed: %d calls, %v before MigrateTo returned; want once, Confirm (50ms) before", calls, time.Since(at))
	}
}
