package migjob

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup"
)

// Job is one migration as the store drives it.
type Job struct {
	// Migrate carries out the migration and blocks until it has ended:
	// nil when the domain runs on the destination, an error when it still
	// runs on the source.
	Migrate func() error
	// Poll returns the job's figures now; active is false while there is
	// no job (not started yet, or over). An active job whose DataTotal is
	// still 0 has not begun to move data, and is not reported.
	Poll func() (p migratesetup.MigrateProgress, active bool, err error)
	// Abort asks the hypervisor to abort the job. Run calls it again on
	// every tick until Migrate returns (one call at a time), so it must
	// bear being called for a job that is already aborting or over.
	Abort func() error
	// Start is when the migration began (the store's first step, before
	// Migrate): Timeout counts from it. Now when zero.
	Start time.Time
	// Interval is the time between polls: 1 s when zero. Until the job
	// moves data, Run polls at once and then every Early.
	Interval time.Duration
	// Early is the time between polls until the job moves data: the
	// least of 100 ms and Interval when zero. A job of less than a
	// second (a small guest on a fast link, as the migration test's)
	// would otherwise end before its first poll, and the store's first
	// report of data (where the RPC store sets MaxDowntime) would never
	// come.
	Early time.Duration
	// Grace bounds the wait for Migrate to return after an abort: 2 min
	// when zero. Past it, Run gives up and says so.
	Grace time.Duration
}

// ErrAbortUnanswered: the migration call did not return within the grace
// after its job was aborted; where the domain runs is unknown.
var ErrAbortUnanswered = errors.New("the migration did not end after its job was aborted")

// Run runs j under opts's bounds and ctx, calling progress (when not nil)
// with each poll's figures once the job moves data. It returns the last
// figures and Migrate's result, or, when it aborted the job, why: an
// error that is migratesetup.ErrMigrationTimeout,
// migratesetup.ErrMigrationStalled or the context's error, with the last
// figures and the migration call's own error. A migration that completed
// although its abort was requested returns nil: the domain runs on the
// destination.
//
// Poll and Abort run on goroutines of their own, one call of each at a
// time, so that a libvirt slow to answer a poll delays neither the abort
// nor the grace; progress runs on the caller's goroutine. A Poll or Abort
// still running when Run returns finishes on its own.
func Run(ctx context.Context, opts migratesetup.MigrateOptions, j Job, progress func(migratesetup.MigrateProgress)) (migratesetup.MigrateProgress, error) {
	if j.Interval <= 0 {
		j.Interval = time.Second
	}
	if j.Grace <= 0 {
		j.Grace = 2 * time.Minute
	}
	if j.Early <= 0 {
		j.Early = min(100*time.Millisecond, j.Interval)
	}
	start := j.Start
	if start.IsZero() {
		start = time.Now()
	}
	done := make(chan error, 1)
	go func() { done <- j.Migrate() }()

	tick := time.NewTicker(j.Interval)
	defer tick.Stop()
	var timeout <-chan time.Time
	if opts.Timeout > 0 {
		t := time.NewTimer(opts.Timeout - time.Since(start))
		defer t.Stop()
		timeout = t.C
	}
	type polled struct {
		p      migratesetup.MigrateProgress
		active bool
		err    error
		at     time.Time
	}
	// Buffered for the one call in flight: its goroutine never blocks,
	// also after Run has returned.
	pollc, abortc := make(chan polled, 1), make(chan error, 1)
	var (
		last      migratesetup.MigrateProgress
		seen      bool      // last holds a poll of the job moving data
		least     uint64    // the least remaining data seen
		leastAt   time.Time // when it was seen
		reason    error     // why Run aborted the job; nil while it has not
		abortErr  error     // the last abort's answer
		polling   bool
		aborting  bool
		graceOver <-chan time.Time
	)
	abort := func(why error) {
		if reason == nil {
			reason, graceOver = why, time.After(j.Grace)
		}
		if !aborting {
			aborting = true
			go func() { abortc <- j.Abort() }()
		}
	}
	ctxDone := ctx.Done()
	// early fires the polls before the job moves data: at once, then
	// every Early, until a poll has seen data (then the ticker's).
	early := time.NewTimer(0)
	defer early.Stop()
	poll := func() {
		if polling {
			return
		}
		polling = true
		go func() {
			p, active, err := j.Poll()
			pollc <- polled{p, active, err, time.Now()}
		}()
	}
	for {
		select {
		case err := <-done:
			if err == nil || reason == nil {
				return last, err
			}
			return last, aborted(reason, time.Since(start), last, seen, err)
		case <-graceOver:
			return last, fmt.Errorf("%w within %s (%w; abort: %v): %w", ErrAbortUnanswered, j.Grace, reason, abortErr, errAbortGrace)
		case <-ctxDone:
			ctxDone = nil
			abort(ctx.Err())
		case <-timeout:
			abort(migratesetup.ErrMigrationTimeout)
		case err := <-abortc:
			aborting, abortErr = false, err
		case <-tick.C:
			if reason != nil {
				// Again, until Migrate returns: an abort that came before
				// the job fails, and libvirt has been seen to answer one
				// and let the migration run on (once in some twenty runs).
				abort(reason)
				continue
			}
			poll()
		case <-early.C:
			if reason == nil && !seen {
				poll()
			}
		case r := <-pollc:
			polling = false
			if !seen && reason == nil {
				early.Reset(j.Early)
			}
			// A job with no data yet is still in Begin or Prepare (the
			// destination's QEMU starting): neither progress nor a stall.
			if reason != nil || r.err != nil || !r.active || r.p.DataTotal == 0 {
				continue
			}
			last, seen = r.p, true
			if progress != nil {
				progress(r.p)
			}
			if leastAt.IsZero() || r.p.DataRemaining < least {
				least, leastAt = r.p.DataRemaining, r.at
			} else if opts.NoProgress > 0 && r.at.Sub(leastAt) >= opts.NoProgress {
				abort(migratesetup.ErrMigrationStalled)
			}
		}
	}
}

var errAbortGrace = errors.New("where the domain runs is unknown: ask both libvirts (virsh list --all) and check their logs")

// aborted is the error of a job Run aborted: why, the figures, and what
// the migration call said.
func aborted(why error, elapsed time.Duration, p migratesetup.MigrateProgress, seen bool, err error) error {
	figures := "before its job reported any figures"
	if seen {
		figures = fmt.Sprintf("%s of %s moved, %s left", MiB(p.DataProcessed), MiB(p.DataTotal), MiB(p.DataRemaining))
	}
	return fmt.Errorf("%w (after %s, %s; libvirt: %v)", why, elapsed.Round(10*time.Millisecond), figures, err)
}

// MiB writes a byte count in MiB with one decimal.
func MiB(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
