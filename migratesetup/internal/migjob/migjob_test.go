package migjob_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/internal/migjob"
)

// An abort that comes before the job exists is repeated until it takes.
func TestAbortRepeated(t *testing.T) {
	var tries atomic.Int32
	var once sync.Once
	abort := make(chan struct{})
	_, err := migjob.Run(context.Background(), migratesetup.MigrateOptions{Timeout: 5 * time.Millisecond}, migjob.Job{
		Migrate: func() error { <-abort; return errors.New("canceled by client") },
		Poll:    func() (migratesetup.MigrateProgress, bool, error) { return migratesetup.MigrateProgress{}, false, nil },
		Abort: func() error {
			if tries.Add(1) < 3 {
				return errors.New("no job is active on the domain")
			}
			once.Do(func() { close(abort) })
			return nil
		},
		Interval: 5 * time.Millisecond,
	}, nil)
	if !errors.Is(err, migratesetup.ErrMigrationTimeout) || tries.Load() < 3 {
		t.Fatalf("err %v after %d aborts; want ErrMigrationTimeout after 3 or more", err, tries.Load())
	}
}

// An abort that libvirt answers and then ignores is repeated while the
// migration runs on: the migration does not complete behind its back.
func TestAbortLost(t *testing.T) {
	var tries atomic.Int32
	var once sync.Once
	abort := make(chan struct{})
	_, err := migjob.Run(context.Background(), migratesetup.MigrateOptions{Timeout: 5 * time.Millisecond}, migjob.Job{
		Migrate: func() error {
			select {
			case <-abort:
				return errors.New("canceled by client")
			case <-time.After(2 * time.Second):
				return nil // completed
			}
		},
		Poll: func() (migratesetup.MigrateProgress, bool, error) { return migratesetup.MigrateProgress{}, true, nil },
		Abort: func() error {
			if tries.Add(1) >= 2 { // the first is answered and lost
				once.Do(func() { close(abort) })
			}
			return nil
		},
		Interval: 5 * time.Millisecond,
	}, nil)
	if !errors.Is(err, migratesetup.ErrMigrationTimeout) {
		t.Fatalf("err %v after %d aborts; want ErrMigrationTimeout", err, tries.Load())
	}
}

// A migration call that does not return after the abort is given up on
// after the grace, saying so.
func TestGrace(t *testing.T) {
	never := make(chan struct{})
	defer close(never)
	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := migjob.Run(ctx, migratesetup.MigrateOptions{}, migjob.Job{
		Migrate:  func() error { <-never; return nil },
		Poll:     func() (migratesetup.MigrateProgress, bool, error) { return migratesetup.MigrateProgress{}, false, nil },
		Abort:    func() error { return nil },
		Interval: 5 * time.Millisecond,
		Grace:    50 * time.Millisecond,
	}, nil)
	if !errors.Is(err, migjob.ErrAbortUnanswered) || !errors.Is(err, context.Canceled) || time.Since(start) > 5*time.Second {
		t.Fatalf("err %v; want ErrAbortUnanswered and context.Canceled", err)
	}
}

// A migration that completes although its abort was asked for is a
// success: the domain runs on the destination.
func TestCompletedDespiteAbort(t *testing.T) {
	_, err := migjob.Run(context.Background(), migratesetup.MigrateOptions{Timeout: time.Millisecond}, migjob.Job{
		Migrate:  func() error { time.Sleep(30 * time.Millisecond); return nil },
		Poll:     func() (migratesetup.MigrateProgress, bool, error) { return migratesetup.MigrateProgress{}, true, nil },
		Abort:    func() error { return errors.New("too late") },
		Interval: 5 * time.Millisecond,
	}, nil)
	if err != nil {
		t.Fatalf("a migration that completed: %v", err)
	}
}

// A job that has not begun to move data (libvirt's Begin and Prepare) is
// neither reported nor taken for a stalled one.
func TestNoDataYet(t *testing.T) {
	var polls atomic.Int32
	var reported []migratesetup.MigrateProgress
	_, err := migjob.Run(context.Background(), migratesetup.MigrateOptions{NoProgress: 20 * time.Millisecond}, migjob.Job{
		Migrate: func() error { time.Sleep(150 * time.Millisecond); return nil },
		Poll: func() (migratesetup.MigrateProgress, bool, error) {
			if polls.Add(1) < 15 {
				return migratesetup.MigrateProgress{}, true, nil
			}
			return migratesetup.MigrateProgress{DataTotal: 100, DataRemaining: 100 - uint64(polls.Load())}, true, nil
		},
		Abort:    func() error { return errors.New("unexpected abort") },
		Interval: 5 * time.Millisecond,
	}, func(p migratesetup.MigrateProgress) { reported = append(reported, p) })
	if err != nil {
		t.Fatalf("a job that waited for its data, then moved it: %v", err)
	}
	for _, p := range reported {
		if p.DataTotal == 0 {
			t.Errorf("reported before any data: %+v", p)
		}
	}
	if len(reported) == 0 {
		t.Error("nothing reported once the data moved")
	}
}

// A poll that libvirt does not answer delays neither the abort nor the
// return.
func TestHungPoll(t *testing.T) {
	hung, aborted := make(chan struct{}), make(chan struct{})
	defer close(hung)
	start := time.Now()
	_, err := migjob.Run(context.Background(), migratesetup.MigrateOptions{Timeout: 50 * time.Millisecond}, migjob.Job{
		Migrate: func() error { <-aborted; return errors.New("canceled by client") },
		Poll: func() (migratesetup.MigrateProgress, bool, error) {
			<-hung
			return migratesetup.MigrateProgress{}, false, nil
		},
		Abort:    func() error { close(aborted); return nil },
		Interval: 5 * time.Millisecond,
	}, nil)
	if !errors.Is(err, migratesetup.ErrMigrationTimeout) || time.Since(start) > 2*time.Second {
		t.Fatalf("err %v after %s; want ErrMigrationTimeout soon after 50 ms", err, time.Since(start))
	}
}

// A short job is polled before Interval: at once, then every Early until
// it moves data, so that its first figures (where the RPC store sets the
// maximum downtime) come although the job ends within a second.
func TestEarlyPolls(t *testing.T) {
	reported := make(chan migratesetup.MigrateProgress, 1)
	var polls atomic.Int32
	start := time.Now()
	_, err := migjob.Run(context.Background(), migratesetup.MigrateOptions{}, migjob.Job{
		Migrate: func() error {
			select {
			case <-reported:
			case <-time.After(5 * time.Second):
			}
			return nil
		},
		Poll: func() (migratesetup.MigrateProgress, bool, error) {
			if polls.Add(1) < 3 { // Perform not yet moving data
				return migratesetup.MigrateProgress{}, true, nil
			}
			return migratesetup.MigrateProgress{DataTotal: 100, DataRemaining: 90}, true, nil
		},
		Abort:    func() error { return errors.New("unexpected abort") },
		Interval: time.Hour,
		Early:    10 * time.Millisecond,
	}, func(p migratesetup.MigrateProgress) {
		select {
		case reported <- p:
		default:
		}
	})
	if took := time.Since(start); err != nil || took > 3*time.Second || polls.Load() != 3 {
		t.Errorf("Run = %v after %v, %d polls; want the job's figures at its third poll, well before Interval", err, took, polls.Load())
	}
}
