package migrate

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestWaitForAsksSoonThenEveryPoll: a condition that holds at the second
// asking costs a fraction of the poll, not a whole one; a condition that
// never holds is asked no more often than the backoff allows, and the
// error says how long was waited.
func TestWaitForAsksSoonThenEveryPoll(t *testing.T) {
	const poll = 400 * time.Millisecond
	calls := 0
	start := time.Now()
	err := waitFor(context.Background(), poll, 10*time.Second, func() error {
		calls++
		if calls < 2 {
			return errors.New("not yet")
		}
		return nil
	})
	if err != nil || calls != 2 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
	if d := time.Since(start); d >= poll {
		t.Errorf("the second asking came after %v, a whole poll (%v) or more", d, poll)
	}
	calls = 0
	err = waitFor(context.Background(), poll, 1200*time.Millisecond, func() error { calls++; return errors.New("never") })
	// 50, 100, 200, 400, 400 ms: at most 6 askings in 1.2 s.
	if err == nil || calls > 7 || calls < 3 {
		t.Errorf("never ready: err %v, %d calls in 1.2 s with a poll of %v", err, calls, poll)
	}
}
