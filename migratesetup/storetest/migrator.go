package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup"
)

// MigrationHarness is what TestMigrator needs: two stores on two hosts
// and a guest that migrates between them.
type MigrationHarness struct {
	// Pair returns a source and a destination store on different hosts
	// (libvirt refuses to migrate to its own host); the suite calls it
	// once per subtest and closes nothing itself.
	Pair func(t *testing.T) (src, dst migratesetup.Migrator)
	// Domain returns the definition of a persistent domain named name
	// that both stores define and start, and that migrates.
	Domain func(t *testing.T, name string) string
	// Options returns the options of one migration (a migration URI with
	// a free port, say); nil means the zero options.
	Options func(t *testing.T) migratesetup.MigrateOptions
	// SlowDomain, when set, is the definition that Slow's migrations
	// start from (a guest with more memory to move); Domain when nil.
	SlowDomain func(t *testing.T, name string) string
	// Slow makes the next migration out of src take several seconds (at
	// least 3) unless aborted: by a throttle in opts (Bandwidth), or by
	// the store's own means.
	Slow func(t *testing.T, src migratesetup.Migrator, opts *migratesetup.MigrateOptions)
	// Timeout is the bound the TimeoutAborts case sets on a slow
	// migration: long enough for the job to start and report progress
	// (libvirt polls once a second), shorter than a slow migration takes.
	// 2.5 s when zero.
	Timeout time.Duration
	// Remove, when set, deletes a domain that the suite made on s, after
	// the suite has forced it off.
	Remove func(t *testing.T, s migratesetup.Migrator, name string)
	// AbortMayBeLost: the store's hypervisor has been seen to hold an
	// abort (and queries) sent as the data begins to move until the
	// migration has completed (libvirt 9.0 with TCG guests on a busy
	// machine, about one run in four, through its C client). The cancel
	// case then accepts a completed migration, checked on the
	// destination and logged as a known flake, instead of failing. The
	// timeout cases stay strict.
	AbortMayBeLost bool
}

// TestMigrator runs the conformance suite of migratesetup.Migrator on the
// store pairs h opens, each case as a subtest: a running guest moves,
// persistent on the destination and gone from the source; a destination
// that runs a guest of that name refuses, and the guest migrates once it
// is gone (the refusal left no job behind); a guest that is not running is
// refused; a destination of another kind is migratesetup.ErrOtherStore; a
// slow migration past its timeout is aborted (ErrMigrationTimeout) and so
// is one whose context is cancelled, progress having been reported, and
// one whose timeout passes before any data moved, each leaving the guest
// running on the source and none on the destination.
func TestMigrator(t *testing.T, h MigrationHarness) {
	t.Helper()
	if h.Pair == nil || h.Domain == nil || h.Slow == nil {
		t.Fatal("storetest: MigrationHarness.Pair, Domain and Slow are required")
	}
	cases := []struct {
		name string
		run  func(*testing.T, *menv)
	}{
		{"Moves", testMoves},
		{"DestinationRefuses", testDestinationRefuses},
		{"NotRunningRefused", testNotRunning},
		{"OtherStore", testOtherStore},
		{"TimeoutAborts", testTimeoutAborts},
		{"TimeoutBeforeData", testTimeoutBeforeData},
		{"CancelAborts", testCancelAborts},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := &menv{h: h, ctx: context.Background()}
			e.src, e.dst = h.Pair(t)
			if e.src == nil || e.dst == nil {
				t.Fatal("MigrationHarness.Pair returned a nil store")
			}
			t.Cleanup(func() { e.cleanup(t) })
			c.run(t, e)
		})
	}
}

// menv is one subtest's stores and the domains it made.
type menv struct {
	h        MigrationHarness
	src, dst migratesetup.Migrator
	ctx      context.Context
	names    []string
}

func (e *menv) cleanup(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, s := range []migratesetup.Migrator{e.src, e.dst} {
		for _, n := range e.names {
			if st, err := s.State(ctx, n); err == nil && st != migratesetup.StateShutoff {
				if err := s.Destroy(ctx, n); err != nil && !errors.Is(err, migratesetup.ErrNoDomain) {
					t.Errorf("cleanup: forcing %s off: %v", n, err)
				}
			}
			if e.h.Remove != nil {
				e.h.Remove(t, s, n)
			}
		}
	}
}

// running defines the harness's domain on s and starts it.
func (e *menv) running(t *testing.T, s migratesetup.Migrator, n string) {
	t.Helper()
	e.start(t, s, n, e.h.Domain)
}

// runningSlow starts the harness's slow domain on s.
func (e *menv) runningSlow(t *testing.T, s migratesetup.Migrator, n string) {
	t.Helper()
	def := e.h.Domain
	if e.h.SlowDomain != nil {
		def = e.h.SlowDomain
	}
	e.start(t, s, n, def)
}

func (e *menv) start(t *testing.T, s migratesetup.Migrator, n string, def func(*testing.T, string) string) {
	t.Helper()
	if !slices.Contains(e.names, n) {
		e.names = append(e.names, n)
	}
	if err := s.Define(e.ctx, def(t, n)); err != nil {
		t.Fatalf("Define %s: %v", n, err)
	}
	if err := s.Start(e.ctx, n); err != nil {
		t.Fatalf("Start %s: %v", n, err)
	}
}

func (e *menv) options(t *testing.T) migratesetup.MigrateOptions {
	if e.h.Options == nil {
		return migratesetup.MigrateOptions{}
	}
	return e.h.Options(t)
}

// wantAt checks that n runs, persistent, on s.
func (e *menv) wantAt(t *testing.T, s migratesetup.Migrator, where, n string) {
	t.Helper()
	st, err := s.State(e.ctx, n)
	if err != nil || st != migratesetup.StateRunning {
		t.Errorf("%s on the %s: %s, %v; want running", n, where, st, err)
	}
	if p, err := s.Persistent(e.ctx, n); err != nil || !p {
		t.Errorf("%s on the %s: persistent %v, %v; want true", n, where, p, err)
	}
}

// wantNotRunning checks that n does not run on s (undefined or off).
func (e *menv) wantNotRunning(t *testing.T, s migratesetup.Migrator, where, n string) {
	t.Helper()
	st, err := s.State(e.ctx, n)
	if err == nil && st != migratesetup.StateShutoff {
		t.Errorf("%s on the %s: %s; want it not running there", n, where, st)
	} else if err != nil && !errors.Is(err, migratesetup.ErrNoDomain) {
		t.Errorf("%s on the %s: %v", n, where, err)
	}
}

// name returns a fresh domain name, unique in the process.
func (e *menv) name(what string) string {
	return fmt.Sprintf("sfkvm-storetest-%d-migrate-%s", seq.Add(1), what)
}

func testMoves(t *testing.T, e *menv) {
	n := e.name("moves")
	e.running(t, e.src, n)
	before, err := e.src.InactiveXML(e.ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	// Resumed: once, the guest running on the destination.
	opts := e.options(t)
	resumed := 0
	var atResumed migratesetup.State
	var atResumedErr error
	opts.Resumed = func() {
		resumed++
		atResumed, atResumedErr = e.dst.State(e.ctx, n)
	}
	stats, err := e.src.MigrateTo(e.ctx, n, e.dst, opts, nil)
	if err != nil {
		t.Fatalf("MigrateTo: %v", err)
	}
	if resumed != 1 || atResumedErr != nil || atResumed != migratesetup.StateRunning {
		t.Errorf("MigrateOptions.Resumed: %d calls, the destination then said %s, %v; want one, running", resumed, atResumed, atResumedErr)
	}
	// libvirt keeps the completed job's figures (virsh domjobinfo
	// --completed), the guest's pause among them.
	if stats.Elapsed <= 0 || stats.Downtime <= 0 || stats.DataTotal == 0 {
		t.Errorf("stats of a completed migration: %+v; want its time, its downtime and its data", stats)
	}
	t.Logf("migrated: %s, down %s, %d bytes", stats.Elapsed, stats.Downtime, stats.DataTotal)
	e.wantAt(t, e.dst, "destination", n)
	if _, err := e.src.State(e.ctx, n); !errors.Is(err, migratesetup.ErrNoDomain) {
		t.Errorf("%s on the source after the migration: %v; want it undefined (ErrNoDomain)", n, err)
	}
	after, err := e.dst.InactiveXML(e.ctx, n)
	if err != nil || !strings.Contains(after, "<name>"+n+"</name>") {
		t.Errorf("the destination's persistent definition: %v\n%s", err, after)
	}
	// A definition with the VNC password keeps it: on the source (read
	// with secrets), and on the destination (libvirt's cookie carries the
	// persistent definition with them).
	if strings.Contains(e.h.Domain(t, n), Secret) && !strings.Contains(before, Secret) {
		t.Errorf("the source's persistent definition lacks the VNC password:\n%s", before)
	}
	if strings.Contains(before, Secret) && !strings.Contains(after, Secret) {
		t.Errorf("the migration lost the VNC password of the persistent definition:\n%s", after)
	}
}

func testDestinationRefuses(t *testing.T, e *menv) {
	n := e.name("refused")
	e.running(t, e.src, n)
	e.running(t, e.dst, n) // another guest of that name runs there
	opts := e.options(t)
	opts.Resumed = func() { t.Error("MigrateOptions.Resumed called for a refused migration") }
	_, err := e.src.MigrateTo(e.ctx, n, e.dst, opts, nil)
	if err == nil {
		t.Fatal("MigrateTo to a destination that runs a guest of that name worked")
	}
	e.wantAt(t, e.src, "source", n)
	e.wantAt(t, e.dst, "destination", n)
	// The refusal left no migration job behind on the source: once the
	// destination's guest is gone, the guest migrates.
	if err := e.dst.Destroy(e.ctx, n); err != nil {
		t.Fatal(err)
	}
	if e.h.Remove != nil {
		e.h.Remove(t, e.dst, n)
	}
	if _, err := e.src.MigrateTo(e.ctx, n, e.dst, e.options(t), nil); err != nil {
		t.Fatalf("MigrateTo after the refusal, the destination's guest gone: %v", err)
	}
	e.wantAt(t, e.dst, "destination", n)
}

func testNotRunning(t *testing.T, e *menv) {
	n := e.name("off")
	e.names = append(e.names, n)
	if err := e.src.Define(e.ctx, e.h.Domain(t, n)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.src.MigrateTo(e.ctx, n, e.dst, e.options(t), nil); err == nil {
		t.Fatal("MigrateTo of a shut-off guest worked (a live migration needs it running)")
	}
	if st, err := e.src.State(e.ctx, n); err != nil || st != migratesetup.StateShutoff {
		t.Errorf("the guest on the source: %s, %v; want it still defined and off", st, err)
	}
	e.wantNotRunning(t, e.dst, "destination", n)
}

// otherKind is a Migrator of another type than the stores under test.
type otherKind struct{ migratesetup.Migrator }

func testOtherStore(t *testing.T, e *menv) {
	n := e.name("other")
	e.running(t, e.src, n)
	_, err := e.src.MigrateTo(e.ctx, n, otherKind{e.dst}, e.options(t), nil)
	if !errors.Is(err, migratesetup.ErrOtherStore) {
		t.Fatalf("MigrateTo to another kind of store: %v; want ErrOtherStore", err)
	}
	e.wantAt(t, e.src, "source", n)
}

// progressLog records the progress callbacks.
type progressLog struct {
	mu   sync.Mutex
	seen []migratesetup.MigrateProgress
	ch   chan struct{} // closed at the second report
}

func newProgressLog() *progressLog { return &progressLog{ch: make(chan struct{})} }

func (p *progressLog) note(m migratesetup.MigrateProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.seen) == 1 {
		close(p.ch)
	}
	p.seen = append(p.seen, m)
}

func (p *progressLog) reports() []migratesetup.MigrateProgress {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]migratesetup.MigrateProgress(nil), p.seen...)
}

// wantSane checks the reported figures: data to move, and never more
// processed than there is.
func wantSane(t *testing.T, rs []migratesetup.MigrateProgress) {
	t.Helper()
	if len(rs) == 0 {
		t.Error("no progress was reported")
	}
	for _, r := range rs {
		if r.DataTotal == 0 || r.DataProcessed > r.DataTotal+r.DataTotal/2 {
			t.Errorf("progress report %+v: want data to move, and processed within reason", r)
		}
	}
}

func testTimeoutAborts(t *testing.T, e *menv) {
	n := e.name("timeout")
	e.runningSlow(t, e.src, n)
	opts := e.options(t)
	e.h.Slow(t, e.src, &opts)
	opts.Timeout = e.h.Timeout
	if opts.Timeout <= 0 {
		opts.Timeout = 2500 * time.Millisecond
	}
	p := newProgressLog()
	start := time.Now()
	_, err := e.src.MigrateTo(e.ctx, n, e.dst, opts, p.note)
	took := time.Since(start)
	if !errors.Is(err, migratesetup.ErrMigrationTimeout) {
		t.Fatalf("a slow migration with a timeout of %s: %v (after %s); want ErrMigrationTimeout", opts.Timeout, err, took)
	}
	if took > opts.Timeout+20*time.Second {
		t.Errorf("the aborted migration returned after %s; want soon after its timeout of %s", took, opts.Timeout)
	}
	wantSane(t, p.reports())
	e.wantAt(t, e.src, "source", n)
	e.wantNotRunning(t, e.dst, "destination", n)
	t.Logf("aborted after %s: %v", took.Round(time.Millisecond), err)
}

func testCancelAborts(t *testing.T, e *menv) {
	n := e.name("cancel")
	e.runningSlow(t, e.src, n)
	opts := e.options(t)
	e.h.Slow(t, e.src, &opts)
	p := newProgressLog()
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	go func() {
		select {
		// Cancel once the job runs, as SIGINT would: at its second report,
		// for libvirt (9.0, TCG on a busy machine) has been seen to hold
		// an abort sent right as the data began to move until the
		// migration had completed.
		case <-p.ch:
		case <-time.After(30 * time.Second):
		}
		cancel()
	}()
	start := time.Now()
	_, err := e.src.MigrateTo(ctx, n, e.dst, opts, p.note)
	took := time.Since(start)
	if err == nil && e.h.AbortMayBeLost {
		// The migration completed: the store said so truthfully.
		e.wantAt(t, e.dst, "destination", n)
		t.Logf("KNOWN FLAKE: the hypervisor let the cancelled migration complete (after %s); the store reports the completion", took)
		return
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled migration: %v (after %s); want context.Canceled", err, took)
	}
	wantSane(t, p.reports())
	e.wantAt(t, e.src, "source", n)
	e.wantNotRunning(t, e.dst, "destination", n)
	t.Logf("cancelled after %s: %v", took.Round(time.Millisecond), err)
}

// A timeout that passes before any data has moved (libvirt's Begin and
// Prepare take longer) aborts too, and cleans up both sides.
func testTimeoutBeforeData(t *testing.T, e *menv) {
	n := e.name("early")
	e.runningSlow(t, e.src, n)
	opts := e.options(t)
	e.h.Slow(t, e.src, &opts)
	opts.Timeout = time.Millisecond
	start := time.Now()
	_, err := e.src.MigrateTo(e.ctx, n, e.dst, opts, nil)
	if !errors.Is(err, migratesetup.ErrMigrationTimeout) {
		t.Fatalf("a migration with a timeout of 1 ms: %v (after %s); want ErrMigrationTimeout", err, time.Since(start))
	}
	e.wantAt(t, e.src, "source", n)
	e.wantNotRunning(t, e.dst, "destination", n)
	t.Logf("aborted after %s: %v", time.Since(start).Round(time.Millisecond), err)
}
