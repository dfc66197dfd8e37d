package migrate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup"
)

// Run migrates p.Domain from p.From to p.To: it refuses unless everything
// is ready (changing nothing), under p.Guard does the manual's before
// steps, migrates, runs the after steps whatever happened, and verifies by
// asking both libvirts and the guest. It never stops at a failure without
// saying, in Report.RunsOn, where the guest runs.
func Run(ctx context.Context, p Plan) *Report {
	p = p.withDefaults()
	start := p.Now()
	r := &Report{Schema: Schema, Domain: p.Domain, From: p.From, To: p.To, Guard: p.Guard, Outcome: Refused}
	defer func() { r.TotalSeconds = p.Now().Sub(start).Seconds() }()
	s := &session{p: p, r: r}
	defer s.close()

	src, dst, ok := s.before(ctx)
	for _, h := range []*Host{src, dst} {
		if h != nil && h.Close != nil {
			defer h.Close()
		}
	}
	if !ok {
		s.whereNow(ctx, src, dst)
		if ctx.Err() != nil {
			r.Outcome = Interrupted
		}
		return r
	}

	guarded := false
	if p.Guard {
		if err := writeState(StatePath(p.StateDir, r.Cluster), s.state); err != nil {
			r.add(Check{Stage: StageGuard, ID: "guard.state", Target: r.Cluster, Status: Fail, Reason: "writing the state for --recover: " + errText(err),
				Fix: "make " + p.StateDir + " root's and writable by root"})
			s.whereNow(ctx, src, dst)
			return r
		}
		guarded = true
		if !s.guardBefore(ctx) {
			s.restore(ctx)
			s.whereNow(ctx, src, dst)
			if ctx.Err() != nil {
				r.Outcome = Interrupted
			}
			return r
		}
	}

	// The guest's read of its new host and the restore start as soon as
	// the guest runs there (libvirt's Finish), while the source's libvirt
	// still stops its QEMU (Confirm, 0.5 to 2 s): that wait is no longer
	// the run's.
	var reads <-chan readResult
	var restored func()
	readsCtx, cancelReads := context.WithCancel(ctx)
	defer cancelReads()
	resumed := p.Migrate.Resumed
	s.p.Migrate.Resumed = func() {
		if reads == nil {
			reads = s.watchReads(readsCtx, dst, p.Now())
		}
		if guarded && restored == nil {
			restored = s.restoreBeside(ctx)
		}
		if resumed != nil {
			resumed()
		}
	}
	migrated := s.migrate(ctx, src, dst)
	if migrated && reads == nil {
		reads = s.watchReads(readsCtx, dst, p.Now())
	}
	switch {
	case restored != nil:
		restored()
	case guarded:
		s.restore(ctx)
	}
	s.whereNow(ctx, src, dst)
	switch {
	case migrated:
		r.Outcome = Migrated
		s.verify(ctx, src, dst, reads)
		switch {
		case r.Failed() && ctx.Err() != nil:
			r.Outcome = Interrupted
		case r.Failed():
			r.Outcome = Failed
		}
	case ctx.Err() != nil:
		r.Outcome = Interrupted
	default:
		r.Outcome = Failed
	}
	return r
}

// restore runs the after steps and keeps or removes the state file.
func (s *session) restore(ctx context.Context) {
	if s.guardAfter(ctx) {
		if err := os.Remove(StatePath(s.p.StateDir, s.r.Cluster)); err != nil {
			s.r.add(Check{Stage: StageRestore, ID: "restore.state", Target: s.r.Cluster, Status: Fail, Reason: errText(err)})
		}
		return
	}
	s.r.Recover = "sfkvm migrate --recover " + s.p.Domain
}

// restoreBeside starts the restore on a goroutine, writing to a report of
// its own, and returns the function that waits for it and adds its rows
// to the run's report: after the migration's row, as a restore that
// follows the migration would have.
func (s *session) restoreBeside(ctx context.Context) (wait func()) {
	own := *s
	own.r = &Report{Domain: s.r.Domain, Cluster: s.r.Cluster}
	done := make(chan struct{})
	go func() {
		defer close(done)
		own.restore(ctx)
	}()
	return func() {
		<-done
		for _, c := range own.r.Checks {
			s.r.add(c)
		}
		s.r.Restore = own.r.Restore
		if own.r.Recover != "" {
			s.r.Recover = own.r.Recover
		}
	}
}

// migrate runs libvirt's migration, bounded as the plan says.
func (s *session) migrate(ctx context.Context, src, dst *Host) bool {
	p := s.p
	p.Log("migrate")
	st, err := src.Store.MigrateTo(ctx, p.Domain, dst.Store, p.Migrate, p.Progress)
	c := Check{Stage: StageMigrate, ID: "migrate.libvirt", Target: p.Domain, Status: OK}
	if err != nil {
		c.Status, c.Reason = Fail, errText(err)
		switch {
		case errors.Is(err, migratesetup.ErrMigrationTimeout):
			c.Fix = "a longer --timeout, or a lower load on the guest; the guest still runs on " + p.From
		case errors.Is(err, migratesetup.ErrMigrationStalled):
			c.Fix = "the guest dirties memory faster than the link carries it (a larger --max-downtime, or a quieter guest), or the destination stopped taking the stream (its QEMU or the link hung: virsh domjobinfo there); the guest still runs on " + p.From
		case ctx.Err() != nil:
			c.Fix = "interrupted: the job was aborted"
		default:
			c.Fix = "see libvirt's reason; virsh -c qemu:///system domjobinfo " + p.Domain + " --completed on " + p.From
		}
		s.r.add(c)
		return false
	}
	p.Log("migrated")
	s.r.MigrationSeconds, s.r.DowntimeSeconds = secs(st.Elapsed), secs(st.Downtime)
	c.Reason = fmt.Sprintf("migrated in %.3f s, downtime %.3f s", st.Elapsed.Seconds(), st.Downtime.Seconds())
	s.r.add(c)
	return true
}

// whereNow asks both libvirts where the domain runs, on a context of its
// own (the run's may be cancelled), and sets RunsOn.
func (s *session) whereNow(parent context.Context, src, dst *Host) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), 30*time.Second)
	defer cancel()
	running := func(h *Host) bool {
		if h == nil || h.Store == nil {
			return false
		}
		st, err := h.Store.State(ctx, s.p.Domain)
		return err == nil && st == migratesetup.StateRunning
	}
	a, b := running(src), running(dst)
	switch {
	case a && !b:
		s.r.RunsOn = s.p.From
	case b && !a:
		s.r.RunsOn = s.p.To
	default:
		s.r.RunsOn = ""
	}
}
