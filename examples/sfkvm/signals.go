package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// errInterrupted is the cause of the context when a signal (SIGINT,
// SIGTERM) arrives: errors built from the context then read
// "interrupted", not "context canceled".
var errInterrupted = errors.New("interrupted")

// signalGrace is how long commands have to wind down after a signal.
const signalGrace = 3 * time.Second

// interrupted reports whether ctx ended because of a signal.
func interrupted(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), errInterrupted)
}

// onSignals ends the run the same way whatever the command: the first
// signal cancels the context (commands that do I/O stop and report what
// they did); then either the command returns (run prints the message and
// exits 130), or the grace period passes, or a second signal comes, and
// the process ends at once with the same message and code.
type onSignals struct {
	cancel func(error)
	exit   func(int)
	stderr io.Writer
	grace  time.Duration
	once   sync.Once
}

// watch handles the signals that arrive on sigs until the process ends.
func (o *onSignals) watch(sigs <-chan os.Signal) {
	<-sigs
	o.cancel(errInterrupted)
	select {
	case <-sigs:
	case <-time.After(o.grace):
		if held := heldRun(); held != nil {
			select {
			case <-sigs:
			case <-held:
				return // the command reports, and run exits with its code
			}
		}
	}
	o.end()
}

// holds counts the commands that are in a stretch which the grace period
// must not cut short: rotate, between changing a guest's password and
// reporting what every guest and host holds (its rollback has a bound of
// its own). A second signal still ends the process at once.
var holds struct {
	sync.Mutex
	n    int
	done chan struct{} // closed when n returns to 0
}

// holdGrace marks the start of such a stretch; release marks its end.
func holdGrace() (release func()) {
	holds.Lock()
	defer holds.Unlock()
	if holds.n == 0 {
		holds.done = make(chan struct{})
	}
	holds.n++
	var once sync.Once
	return func() {
		once.Do(func() {
			holds.Lock()
			defer holds.Unlock()
			if holds.n--; holds.n == 0 {
				close(holds.done)
			}
		})
	}
}

// heldRun returns a channel closed when every hold is released, or nil
// when none is held.
func heldRun() <-chan struct{} {
	holds.Lock()
	defer holds.Unlock()
	if holds.n == 0 {
		return nil
	}
	return holds.done
}

// interruptedMessage is the last line of every run that a signal cut short.
const interruptedMessage = "sfkvm: interrupted"

// end prints the message and exits 130 (128 + SIGINT, as a shell reports
// a process that a signal ended), unless the run already finished.
func (o *onSignals) end() {
	o.once.Do(func() {
		fmt.Fprintln(o.stderr, interruptedMessage)
		o.exit(exitInterrupted)
	})
}

// finish exits with the run's own code (run printed the message itself if
// it was interrupted), unless end got there first.
func (o *onSignals) finish(code int) {
	o.once.Do(func() { o.exit(code) })
}
