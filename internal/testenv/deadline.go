package testenv

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Margin is how long before the test binary's deadline (go test -timeout)
// a test bounds itself. At the deadline go test panics and ends the
// binary without running t.Cleanup: namespaces, sshd processes, users and
// folders would stay. Ending the test's own waits that much earlier lets
// it fail normally, with its cleanups.
const Margin = 30 * time.Second

// Deadline returns when t's waits must end: the binary's deadline less
// Margin (less half of what is left, when that is less than two Margins).
// ok is false when the binary has no deadline (go test -timeout 0).
func Deadline(t testing.TB) (time.Time, bool) {
	dl, ok := t.(interface{ Deadline() (time.Time, bool) })
	if !ok {
		return time.Time{}, false
	}
	d, ok := dl.Deadline()
	if !ok {
		return time.Time{}, false
	}
	if left := time.Until(d); left < 2*Margin {
		return d.Add(-left / 2), true
	}
	return d.Add(-Margin), true
}

// Context returns a context that ends at Deadline(t) (or when the test's
// cleanups have run): the context for the work a test starts (a CLI run,
// a probe, a wait), also from a cleanup.
func Context(t testing.TB) context.Context {
	d, ok := Deadline(t)
	if !ok {
		return context.Background()
	}
	ctx, cancel := context.WithDeadline(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// BeforeDeadline calls release (once) at Deadline(t) if the test is still
// running then, and fails the test saying what it released: for a
// resource that must not outlive a test that the binary's deadline would
// end without cleanups (an sshd, a network namespace, test users). The
// test's own cleanup should call release too; it runs once either way.
// The returned func is that once-only release.
func BeforeDeadline(t testing.TB, what string, release func()) func() {
	var once sync.Once
	do := func() { once.Do(release) }
	d, ok := Deadline(t)
	if !ok {
		return do
	}
	fired := make(chan struct{})
	timer := time.AfterFunc(time.Until(d), func() {
		defer close(fired)
		t.Errorf("%s released at %s, %s before the test binary's deadline (go test -timeout), which would end it without cleanups", what, d.Format(time.TimeOnly), Margin)
		do()
	})
	t.Cleanup(func() {
		if !timer.Stop() {
			<-fired // it is running: let it finish before the test ends
		}
	})
	return do
}
