package sdfacility

import (
	"context"
	"errors"
	"strings"
	"time"
)

// DefaultSDTool is where PRIMECLUSTER installs sdtool.
const DefaultSDTool = "/opt/SMAW/bin/sdtool"

// Bounds of the wait's polling: it starts at PollInterval and doubles up to
// MaxPollInterval.
const (
	DefaultPollInterval    = 1 * time.Second
	DefaultMaxPollInterval = 10 * time.Second
	minPollInterval        = 10 * time.Millisecond
)

// DefaultRecheckTimeout bounds the sdtool -s read after a failed sdtool -e
// or -b (see [Facility.Recheck]). It runs after the caller's own bound
// may have ended, so it is short; but not so short that a busy node loses
// the state exactly when it matters: 2 s was, on a test machine at a load
// average of 20 (sdtool -s there took over 2 s to start and answer).
const DefaultRecheckTimeout = 5 * time.Second

// InterruptedRecheckTimeout bounds that read when the caller's context
// was cancelled (Ctrl-C), not timed out: shorter than the three seconds
// the reference CLI gives a command to wind down after a signal, so that
// the state is still printed.
const InterruptedRecheckTimeout = 2 * time.Second

// Facility drives the shutdown facility of one node through sdtool. The
// zero value runs /opt/SMAW/bin/sdtool on this machine.
type Facility struct {
	// Runner runs sdtool; LocalRunner{} if nil.
	Runner Runner
	// SDTool is the path of sdtool; DefaultSDTool if empty.
	SDTool string
	// PollInterval is the first pause between two sdtool -s while waiting
	// (DefaultPollInterval if zero; at least 10ms). Each pause doubles the
	// last one, up to MaxPollInterval (DefaultMaxPollInterval if zero).
	PollInterval, MaxPollInterval time.Duration
	// RecheckTimeout bounds the sdtool -s read after a failed sdtool -e or
	// -b; DefaultRecheckTimeout if zero, and at most
	// InterruptedRecheckTimeout after the caller's context was cancelled.
	RecheckTimeout time.Duration
	// OnAction, if set, is called before each sdtool command and before
	// the wait, so that a caller can show progress.
	OnAction func(Action)
}

// Action is one step the facility is about to take.
type Action struct {
	Args   []string `json:"args,omitempty"` // sdtool's arguments; empty for the wait
	Reason string   `json:"reason"`
}

func (a Action) String() string {
	if len(a.Args) == 0 {
		return a.Reason
	}
	return "sdtool " + strings.Join(a.Args, " ") + ": " + a.Reason
}

func (f *Facility) runner() Runner {
	if f.Runner == nil {
		return LocalRunner{}
	}
	return f.Runner
}

func (f *Facility) path() string {
	if f.SDTool == "" {
		return DefaultSDTool
	}
	return f.SDTool
}

func (f *Facility) note(a Action) {
	if f.OnAction != nil {
		f.OnAction(a)
	}
}

// Status runs sdtool -s and parses its table (see [ParseStatus]). The
// facility counts as not running when sdtool -s prints no table, or exits
// non-zero: sdtool's exit codes are not documented, so any non-zero one
// counts. The error is non-nil when sdtool could not be run or did not
// finish (a *CommandError, and no status), and when it printed a table but
// exited non-zero: then the status is returned too, with Running false and
// the rows read, and the error is a *StatusError (an answer that is neither
// "runs" nor "does not run" is not taken for either).
func (f *Facility) Status(ctx context.Context) (*Status, error) {
	stdout, stderr, code, err := f.runner().Run(ctx, f.path(), "-s")
	if err != nil {
		return nil, &CommandError{Command: f.path(), Args: []string{"-s"}, ExitStatus: code, Stdout: stdout, Stderr: stderr, Err: err}
	}
	st := ParseStatus(stdout)
	st.ExitStatus = code
	st.Stderr = string(stderr)
	if code != 0 {
		tabled := st.Running
		st.Running = false
		if tabled {
			return st, &StatusError{Status: st}
		}
	}
	return st, nil
}

// Recheck reads sdtool -s after a step, under its own bound
// (RecheckTimeout) even when ctx has ended, so that the state after a
// failed or timed-out step can be shown instead of the state before it.
// Its results are those of [Facility.Status].
func (f *Facility) Recheck(ctx context.Context) (*Status, error) {
	f.note(Action{Args: []string{"-s"}, Reason: "read the state after it"})
	d := f.RecheckTimeout
	if d <= 0 {
		d = DefaultRecheckTimeout
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		d = min(d, InterruptedRecheckTimeout)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d)
	defer cancel()
	return f.Status(ctx)
}

// step runs sdtool with one argument. A non-zero exit, or a run that did
// not finish, is a *StepError holding the *CommandError and a fresh
// sdtool -s ([Facility.Recheck]).
func (f *Facility) step(ctx context.Context, arg, reason string) error {
	f.note(Action{Args: []string{arg}, Reason: reason})
	stdout, stderr, code, err := f.runner().Run(ctx, f.path(), arg)
	if err == nil && code == 0 {
		return nil
	}
	se := &StepError{Err: &CommandError{Command: f.path(), Args: []string{arg}, ExitStatus: code, Stdout: stdout, Stderr: stderr, Err: err}}
	se.Status, se.StatusErr = f.Recheck(ctx)
	return se
}

// Start runs sdtool -b. It does not wait for the agents: see
// [Facility.WaitReady]. A failure is a *StepError that says the facility
// may now be down (errors.Is ErrMayBeDown) and holds sdtool -s read after it.
func (f *Facility) Start(ctx context.Context) error {
	return f.step(ctx, "-b", "start the shutdown facility")
}

// Stop runs sdtool -e. A failure is a *StepError holding sdtool -s read
// after it.
func (f *Facility) Stop(ctx context.Context) error {
	return f.step(ctx, "-e", "stop the shutdown facility")
}

// Restart is step 1.7 of F.2.2, exactly: sdtool -s; where the facility runs,
// sdtool -e then sdtool -b; where it does not, sdtool -b. Then it waits as
// [Facility.WaitReady] does and returns the last status read.
//
// When the first sdtool -s cannot be read, or prints a table but exits
// non-zero (a *StatusError), nothing is sent. When sdtool -e fails, sdtool
// -b is never sent. When sdtool -e or -b fails or does not finish, the
// error is a *StepError and the status returned is the one read after the
// failure (nil when it could not be read), never the one read before.
func (f *Facility) Restart(ctx context.Context) (*Status, error) {
	f.note(Action{Args: []string{"-s"}, Reason: "is the shutdown facility running?"})
	st, err := f.Status(ctx)
	if err != nil {
		return st, err
	}
	start := "it does not run: start it"
	if st.Running {
		if err := f.step(ctx, "-e", "it runs: stop it first"); err != nil {
			return afterStep(err), err
		}
		start = "start it again"
	}
	if err := f.step(ctx, "-b", start); err != nil {
		return afterStep(err), err
	}
	return f.WaitReady(ctx)
}

// afterStep is the status that a *StepError holds.
func afterStep(err error) *Status {
	if se, ok := err.(*StepError); ok {
		return se.Status
	}
	return nil
}

// WaitReady polls sdtool -s until every agent of every node reads
// InitWorked (Init State) and TestWorked (Test State), and returns that
// status. A pause between polls starts at PollInterval and doubles up to
// MaxPollInterval.
//
// An agent that reads InitFailed or TestFailed ends the wait at once with an
// *AgentError naming node and agent. The context's end ends it with a
// *WaitError holding the last status read. A facility that does not run
// (yet) is polled again: sdtool -b may return before the daemon answers.
func (f *Facility) WaitReady(ctx context.Context) (*Status, error) {
	f.note(Action{Reason: "waiting until every agent reads InitWorked and TestWorked"})
	interval, ceiling := f.intervals()
	var last *Status
	for {
		st, err := f.Status(ctx)
		var unconfirmed *StatusError
		switch {
		case err == nil, errors.As(err, &unconfirmed):
			// Read. A table with a non-zero exit is not ready: read again.
		case ctx.Err() != nil:
			return last, &WaitError{Last: last, Err: context.Cause(ctx)}
		default:
			return last, err
		}
		last = st
		if failed := st.FirstFailure(); failed != nil {
			return st, failed
		}
		if st.Ready() {
			return st, nil
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return last, &WaitError{Last: last, Err: context.Cause(ctx)}
		case <-t.C:
		}
		interval = min(2*interval, ceiling)
	}
}

func (f *Facility) intervals() (first, ceiling time.Duration) {
	first, ceiling = f.PollInterval, f.MaxPollInterval
	if first <= 0 {
		first = DefaultPollInterval
	}
	first = max(first, minPollInterval)
	if ceiling <= 0 {
		ceiling = DefaultMaxPollInterval
	}
	return first, max(ceiling, first)
}
