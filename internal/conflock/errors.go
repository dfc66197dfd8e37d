package conflock

import (
	"errors"
	"fmt"
)

// The refusals, for errors.Is.
var (
	// ErrLocked: another run holds the lock. The *LockedError says who.
	ErrLocked = errors.New("locked by another sfkvm run")
	// ErrNotHeld: a write under a lock that this run no longer holds
	// (its lease ended and another run took it).
	ErrNotHeld = errors.New("the lock is no longer this run's")
	// ErrChanged: the file is no longer the one the run read.
	ErrChanged = errors.New("changed since this run read it")
	// ErrBusy: the folder's flock was not given in time (another sfkvm
	// is reading or replacing the lock this very moment, or hangs).
	ErrBusy = errors.New("the folder's lock was not given in time")
)

// LockedError is a refusal by a live lock.
type LockedError struct {
	File string // the file guarded
	By   Owner  // who holds it; zero when the lock file is not sfkvm's
	Raw  string // the lock file's first bytes, when it is garbled
}

func (e *LockedError) Error() string {
	if e.By.Run == "" {
		return fmt.Sprintf("%s: %v: %s holds %q, not a lock of this sfkvm: remove it if no sfkvm runs", e.File, ErrLocked, Path(e.File), e.Raw)
	}
	return fmt.Sprintf("%s: %v: %s; wait for it to end (a lock of a run that crashed goes when its lease ends, or at once on its own host)", e.File, ErrLocked, e.By)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// ChangedError is a refused write: the file's SHA-256 now.
type ChangedError struct {
	File string
	Now  string // SHA-256 in hex, or "none" when the file is gone
}

func (e *ChangedError) Error() string {
	return fmt.Sprintf("%s: %v (sha256 now %.12s): another writer replaced it; nothing was written", e.File, ErrChanged, e.Now)
}

// Is makes errors.Is(err, ErrChanged) true.
func (e *ChangedError) Is(target error) bool { return target == ErrChanged }
