package sdfacility

import (
	"context"
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
// facility counts as not running when sdtool -s exits non-zero or prints no
// table; sdtool's exit codes are not documented, so any non-zero one counts.
// The error is non-nil only when sdtool could not be run or did not finish.
func (f *Facility) Status(ctx context.Context) (*Status, error) {
	stdout, stderr, code, err := f.runner().Run(ctx, f.path(), "-s")
	if err != nil {
		return nil, &CommandError{Command: f.path(), Args: []string{"-s"}, ExitStatus: code, Stdout: stdout, Stderr: stderr, Err: err}
	}
	st := ParseStatus(stdout)
	st.ExitStatus = code
	st.Stderr = string(stderr)
	if code != 0 {
		st.Running = false
	}
	return st, nil
}

// send runs sdtool with one argument and turns a non-zero exit into a
// *CommandError.
func (f *Facility) send(ctx context.Context, arg, reason string) error {
	f.note(Action{Args: []string{arg}, Reason: reason})
	stdout, stderr, code, err := f.runner().Run(ctx, f.path(), arg)
	if err != nil || code != 0 {
		return &CommandError{Command: f.path(), Args: []string{arg}, ExitStatus: code, Stdout: stdout, Stderr: stderr, Err: err}
	}
	return nil
}

// Start runs sdtool -b. It does not wait for the agents: see [Facility.WaitReady].
func (f *Facility) Start(ctx context.Context) error {
	return f.send(ctx, "-b", "start the shutdown facility")
}

// Stop runs sdtool -e.
func (f *Facility) Stop(ctx context.Context) error {
	return f.send(ctx, "-e", "stop the shutdown facility")
}

// Restart is step 1.7 of F.2.2, exactly: sdtool -s; where the facility runs,
// sdtool -e then sdtool -b; where it does not, sdtool -b. Then it waits as
// [Facility.WaitReady] does and returns the last status read.
//
// When sdtool -e fails, sdtool -b is never sent: the error is the -e
// *CommandError and the status is the one read before it.
func (f *Facility) Restart(ctx context.Context) (*Status, error) {
	f.note(Action{Args: []string{"-s"}, Reason: "is the shutdown facility running?"})
	st, err := f.Status(ctx)
	if err != nil {
		return nil, err
	}
	if st.Running {
		if err := f.send(ctx, "-e", "it runs: stop it first"); err != nil {
			return st, err
		}
		if err := f.send(ctx, "-b", "start it again"); err != nil {
			return st, err
		}
	} else {
		if err := f.send(ctx, "-b", "it does not run: start it"); err != nil {
			return st, err
		}
	}
	return f.WaitReady(ctx)
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
		if err != nil {
			if ctx.Err() != nil {
				return last, &WaitError{Last: last, Err: ctx.Err()}
			}
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
			return last, &WaitError{Last: last, Err: ctx.Err()}
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
