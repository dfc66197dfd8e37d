package migratesetuptest

import (
	"testing"
	"time"
)

// The fake's data moves with the clock, not with a goroutine of the test
// process: a job whose mover never ran (the process not scheduled on a
// busy machine) still shows the data that its time has moved, and a job
// whose time is over is no longer active.
func TestFakeJobMovesWithTheClock(t *testing.T) {
	m := Migration{Steps: 20, Step: 20 * time.Millisecond}.withDefaults()
	j := &fakeJob{m: m, abort: make(chan struct{}), start: time.Now().Add(-260 * time.Millisecond)}
	p, active, err := j.poll()
	if err != nil || !active {
		t.Fatalf("poll: active %v, %v", active, err)
	}
	if want := m.DataTotal * 13 / 20; p.DataProcessed < want {
		t.Errorf("after 260 ms of 20 steps of 20 ms: %d bytes moved, want at least %d (13 steps)", p.DataProcessed, want)
	}
	j.start = time.Now().Add(-time.Second)
	if _, active, _ := j.poll(); active {
		t.Error("a job whose time is over is still active")
	}
	stalled := &fakeJob{m: Migration{Steps: 10, Step: time.Millisecond, StallAfter: 3}.withDefaults(), abort: make(chan struct{}), start: time.Now().Add(-time.Second)}
	if p, active, _ := stalled.poll(); !active || p.DataProcessed != stalled.m.DataTotal*3/10 {
		t.Errorf("a stalled job: active %v, %d bytes moved, want 3 steps' worth", active, p.DataProcessed)
	}
}
