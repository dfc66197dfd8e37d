package migratesetuptest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/internal/migjob"
)

// Migration shapes the fake's live migrations out of a store
// (Store.Migration): how long they take, whether they stall. The zero
// value migrates 64 MiB in 4 steps of 5 ms. The bounds of
// MigrateOptions (Timeout, NoProgress) and the context apply as with
// libvirt, by the watchdog the libvirt stores use, which polls the job
// every Poll.
//
// Refusals go through Store.Fail with these method names: "MigrateTo" on
// the source (the source refuses before anything starts), "MigratePrepare"
// on the destination (the destination refuses: libvirt's Prepare step),
// "MigrateFinish" on the destination (the data moved, but the domain does
// not start there: libvirt resumes it on the source). Each fails the
// migration with the domain still running on the source.
type Migration struct {
	// Steps is how many steps the data takes to move (4 when zero); Step
	// how long each takes (5 ms when zero).
	Steps int
	Step  time.Duration
	// StallAfter, when positive, stops the job after that many steps: the
	// remaining data no longer shrinks and the migration never ends on its
	// own (a guest dirtying memory faster than the link carries it).
	StallAfter int
	// DataTotal is the memory to move (64 MiB when zero); Downtime the
	// pause the stats report (20 ms when zero).
	DataTotal uint64
	Downtime  time.Duration
	// Poll is the watchdog's interval (Step when zero; libvirt's stores
	// poll once a second).
	Poll time.Duration
	// Confirm is how long MigrateTo takes after the domain runs on the
	// destination (MigrateOptions.Resumed called), as libvirt's Confirm
	// stopping the source's QEMU does.
	Confirm time.Duration
}

func (m Migration) withDefaults() Migration {
	if m.Steps <= 0 {
		m.Steps = 4
	}
	if m.Step <= 0 {
		m.Step = 5 * time.Millisecond
	}
	if m.DataTotal == 0 {
		m.DataTotal = 64 << 20
	}
	if m.Downtime <= 0 {
		m.Downtime = 20 * time.Millisecond
	}
	if m.Poll <= 0 {
		m.Poll = m.Step
	}
	return m
}

// errAbortedByClient is what libvirt says of a job that was aborted.
var errAbortedByClient = errors.New("operation aborted: migration out job: canceled by client")

// MigrateCall is one call of MigrateTo on the store, as it came.
type MigrateCall struct {
	Domain  string
	Options migratesetup.MigrateOptions
}

// MigrateCalls returns the calls of MigrateTo on the store, in order
// (refused ones included): what a test of the orchestration checks its
// flags against.
func (s *Store) MigrateCalls() []MigrateCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]MigrateCall(nil), s.migrateCalls...)
}

// SetMigration sets how migrations out of this store behave.
func (s *Store) SetMigration(m Migration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.migration = m
}

// MigrateTo moves the running domain to dst, which must be a *Store too
// (else migratesetup.ErrOtherStore), as `virsh migrate --live --persistent
// --undefinesource` does: while the job runs the domain keeps running
// here; at the end it runs on dst with this store's persistent definition
// (and its live one) and is gone from here. It fails, with the domain
// running here, when the domain does not run here, when dst already runs
// a domain of its name, on an injected refusal (see Migration), and when
// the watchdog aborts the job (timeout, no progress, context).
func (s *Store) MigrateTo(ctx context.Context, name string, dst migratesetup.Migrator, opts migratesetup.MigrateOptions, progress func(migratesetup.MigrateProgress)) (migratesetup.MigrateStats, error) {
	s.mu.Lock()
	s.migrateCalls = append(s.migrateCalls, MigrateCall{Domain: name, Options: opts})
	s.mu.Unlock()
	d, ok := dst.(*Store)
	if !ok {
		return migratesetup.MigrateStats{}, fmt.Errorf("migrating %s: %w (%T)", name, migratesetup.ErrOtherStore, dst)
	}
	if d == s {
		return migratesetup.MigrateStats{}, fmt.Errorf("migrating %s: the destination is this store (libvirt refuses to migrate to the same host)", name)
	}
	m, err := s.begin(ctx, name)
	if err != nil {
		return migratesetup.MigrateStats{}, fmt.Errorf("migrating %s: %w", name, err)
	}
	if err := d.prepare(ctx, name); err != nil {
		return migratesetup.MigrateStats{}, fmt.Errorf("migrating %s: the destination refuses: %w", name, err)
	}

	job := &fakeJob{m: m, abort: make(chan struct{}), start: time.Now()}
	_, err = migjob.Run(ctx, opts, migjob.Job{
		Migrate: job.run,
		Poll:    job.poll,
		Abort: func() error {
			s.count("MigrateAbort")
			return job.stop()
		},
		Interval: m.Poll,
	}, progress)
	if err == nil {
		err = s.hand(name, d)
	}
	if err != nil {
		return migratesetup.MigrateStats{}, fmt.Errorf("migrating %s: %w", name, err)
	}
	if opts.Resumed != nil {
		opts.Resumed()
	}
	time.Sleep(m.Confirm)
	return migratesetup.MigrateStats{Elapsed: time.Since(job.start), Downtime: m.Downtime, DataTotal: m.DataTotal}, nil
}

func (s *Store) count(method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[method]++
}

// begin is libvirt's Begin step on the source: the domain must run.
func (s *Store) begin(ctx context.Context, name string) (Migration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dom, err := s.enter(ctx, "MigrateTo", name)
	if err != nil {
		return Migration{}, err
	}
	if dom.State != migratesetup.StateRunning {
		return Migration{}, fmt.Errorf("requested operation is not valid: domain is not running")
	}
	return s.migration.withDefaults(), nil
}

// prepare is libvirt's Prepare step on the destination: it refuses a
// domain of that name that runs there already.
func (s *Store) prepare(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["MigratePrepare"]++
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.Fail != nil {
		if err := s.Fail("MigratePrepare", name); err != nil {
			return err
		}
	}
	if dom, ok := s.domains[name]; ok {
		s.settle(dom)
		if dom.State != migratesetup.StateShutoff && s.domains[name] == dom {
			return fmt.Errorf("operation failed: domain '%s' is already active", name)
		}
	}
	return nil
}

// hand moves the domain from s to d once its data has moved (libvirt's
// Finish on the destination, then Confirm on the source). The source's
// domain leaves first, so that two stores never hold each other's lock.
func (s *Store) hand(name string, d *Store) error {
	d.mu.Lock()
	var err error
	if d.Fail != nil {
		err = d.Fail("MigrateFinish", name)
	}
	d.calls["MigrateFinish"]++
	d.mu.Unlock()
	if err != nil {
		return err
	}
	s.mu.Lock()
	dom, ok := s.domains[name]
	if ok {
		s.settle(dom)
		ok = s.domains[name] == dom && dom.State == migratesetup.StateRunning
	}
	if ok {
		delete(s.domains, name)
	}
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("the domain stopped on the source during the migration")
	}
	moved := *dom
	if dom.Transient && dom.Live != "" {
		moved.XML = dom.Live // --persistent with a transient domain: its live definition
	}
	moved.Transient, moved.offAt = false, time.Time{}
	d.mu.Lock()
	d.domains[name] = &moved
	d.mu.Unlock()
	return nil
}

// fakeJob is one migration's data moving in steps.
type fakeJob struct {
	m     Migration
	start time.Time
	abort chan struct{}

	mu      sync.Mutex
	over    bool
	stopped bool
}

// stepsAt is how many steps are done at t. The data moves with the
// clock, as a real migration's does whatever the test process is doing:
// a busy machine that does not run this process's goroutines for a while
// must not make a moving migration look stalled (it did, with a ticker
// moving it: TestMigrateSlowIsNotStalled aborted at 7 of 20 steps after
// 260 ms, 2026-12-08).
func (j *fakeJob) stepsAt(t time.Time) int {
	n := min(int(t.Sub(j.start)/j.m.Step), j.m.Steps)
	if j.m.StallAfter > 0 {
		n = min(n, j.m.StallAfter)
	}
	return n
}

// stalls tells whether the job never ends on its own.
func (j *fakeJob) stalls() bool {
	return j.m.StallAfter > 0 && j.m.StallAfter < j.m.Steps
}

func (j *fakeJob) run() error {
	defer func() {
		j.mu.Lock()
		j.over = true
		j.mu.Unlock()
	}()
	var end <-chan time.Time
	if !j.stalls() {
		t := time.NewTimer(time.Until(j.start.Add(time.Duration(j.m.Steps) * j.m.Step)))
		defer t.Stop()
		end = t.C
	}
	select {
	case <-end:
		return nil
	case <-j.abort:
		if j.stepsAt(time.Now()) >= j.m.Steps {
			return nil // done before the abort came, as libvirt's can be
		}
		return errAbortedByClient
	}
}

func (j *fakeJob) poll() (migratesetup.MigrateProgress, bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := time.Now()
	n := j.stepsAt(now)
	if j.over || n >= j.m.Steps {
		return migratesetup.MigrateProgress{}, false, nil
	}
	done := j.m.DataTotal * uint64(n) / uint64(j.m.Steps)
	return migratesetup.MigrateProgress{
		Elapsed:       now.Sub(j.start),
		DataTotal:     j.m.DataTotal,
		DataProcessed: done,
		DataRemaining: j.m.DataTotal - done,
	}, true, nil
}

// stop aborts the job; like libvirt's, it fails when no job runs.
func (j *fakeJob) stop() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.over {
		return errors.New("requested operation is not valid: no job is active on the domain")
	}
	if !j.stopped {
		j.stopped = true
		close(j.abort)
	}
	return nil
}

var _ migratesetup.Migrator = (*Store)(nil)
