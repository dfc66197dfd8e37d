package sdfacility_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sfkvm/sfkvm/sdfacility"
	"github.com/sfkvm/sfkvm/sdfacility/sdtest"
)

var twoGuests = []sdtest.Node{
	{Name: "cfguest11", Agents: []string{"SA_libvirtgp", "SA_libvirtgr", "SA_vmchkhost"}},
	{Name: "cfguest12", Agents: []string{"SA_libvirtgp", "SA_libvirtgr", "SA_vmchkhost"}},
}

// repeat returns n copies of call.
func repeat(call string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = call
	}
	return out
}

func seq(parts ...any) []string {
	var out []string
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			out = append(out, p)
		case []string:
			out = append(out, p...)
		}
	}
	return out
}

// Each case runs Restart with a deadline of one minute in fake time and
// asserts the exact calls sent, the outcome and the time it took.
func TestRestartSequences(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    sdtest.Config
		calls  []string
		check  func(t *testing.T, st *sdfacility.Status, err error)
		within time.Duration // fake time the restart takes
	}{
		{
			name: "not running: start, then wait",
			cfg:  sdtest.Config{Nodes: twoGuests},
			// status; -b; then Init-ing, Testing, TestWorked on three reads.
			calls:  seq("sdtool -s", "sdtool -b", repeat("sdtool -s", 3)),
			within: 3 * time.Second, // pauses of 1s and 2s
			check: func(t *testing.T, st *sdfacility.Status, err error) {
				if err != nil || !st.Ready() || len(st.Agents) != 6 {
					t.Errorf("err %v, ready %v, %d agents; want ready with 6 agents", err, st.Ready(), len(st.Agents))
				}
			},
		},
		{
			name:   "running: stop, start, then wait",
			cfg:    sdtest.Config{Nodes: twoGuests, Running: true},
			calls:  seq("sdtool -s", "sdtool -e", "sdtool -b", repeat("sdtool -s", 3)),
			within: 3 * time.Second,
			check: func(t *testing.T, st *sdfacility.Status, err error) {
				if err != nil || !st.Ready() {
					t.Errorf("err %v, ready %v; want ready", err, st.Ready())
				}
			},
		},
		{
			name:  "stop fails: start is never sent, the state is read again",
			cfg:   sdtest.Config{Nodes: twoGuests, Running: true, StopFails: true},
			calls: seq("sdtool -s", "sdtool -e", "sdtool -s"),
			check: func(t *testing.T, st *sdfacility.Status, err error) {
				var ce *sdfacility.CommandError
				if !errors.As(err, &ce) || !errors.Is(err, sdfacility.ErrCommandFailed) || ce.Args[0] != "-e" || ce.ExitStatus != 1 {
					t.Fatalf("err = %v, want the -e CommandError with exit status 1", err)
				}
				if !strings.Contains(err.Error(), "failed to stop") || errors.Is(err, sdfacility.ErrMayBeDown) {
					t.Errorf("error %q does not carry sdtool's stderr, or says a start failed", err)
				}
				if st == nil || !st.Running || afterStep(t, err) != st {
					t.Errorf("status %v, want the status read after -e, in the error too", st)
				}
			},
		},
		{
			name:   "start hangs: the deadline ends it, the state is read again",
			cfg:    sdtest.Config{Nodes: twoGuests, StartHangs: true},
			calls:  seq("sdtool -s", "sdtool -b", "sdtool -s"),
			within: time.Minute,
			check: func(t *testing.T, st *sdfacility.Status, err error) {
				var ce *sdfacility.CommandError
				if !errors.As(err, &ce) || ce.Args[0] != "-b" || !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sdfacility.ErrCommandFailed) || !errors.Is(err, sdfacility.ErrMayBeDown) {
					t.Errorf("err = %v, want the -b CommandError ended by the deadline, and ErrMayBeDown", err)
				}
				if st == nil || st.Running {
					t.Errorf("status %+v, want the fresh not-running status", st)
				}
			},
		},
		{
			// The case of the report: the facility ran, every agent
			// ready; -e stopped it and -b hung. The status returned is
			// the one after, not the green one before.
			name:   "running: -e works, -b hangs: the status is the one after",
			cfg:    sdtest.Config{Nodes: twoGuests, Running: true, StartHangs: true},
			calls:  seq("sdtool -s", "sdtool -e", "sdtool -b", "sdtool -s"),
			within: time.Minute,
			check: func(t *testing.T, st *sdfacility.Status, err error) {
				if !errors.Is(err, sdfacility.ErrMayBeDown) || !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("err = %v, want ErrMayBeDown and the timeout", err)
				}
				if err != nil && !strings.HasSuffix(err.Error(), "; the shutdown facility may now be down: sdtool -s shows it, sdtool -b starts it") {
					t.Errorf("message %q does not say the facility may be down and what to run", err)
				}
				if st == nil || st.Running || len(st.Agents) != 0 || st.Ready() {
					t.Errorf("status %+v, want the fresh not-running status", st)
				}
			},
		},
		{
			name:  "running: -e works, -b fails",
			cfg:   sdtest.Config{Nodes: twoGuests, Running: true, StartFails: true},
			calls: seq("sdtool -s", "sdtool -e", "sdtool -b", "sdtool -s"),
			check: func(t *testing.T, st *sdfacility.Status, err error) {
				if !errors.Is(err, sdfacility.ErrMayBeDown) || !errors.Is(err, sdfacility.ErrCommandFailed) || !strings.Contains(err.Error(), "failed to start") {
					t.Errorf("err = %v, want the failed -b with ErrMayBeDown", err)
				}
				if st == nil || st.Running {
					t.Errorf("status %+v, want the fresh not-running status", st)
				}
			},
		},
		{
			name:   "running: -b hangs after the daemon started: the fresh table is shown",
			cfg:    sdtest.Config{Nodes: twoGuests, Running: true, StartHangs: true, HangAfterStart: true},
			calls:  seq("sdtool -s", "sdtool -e", "sdtool -b", "sdtool -s"),
			within: time.Minute,
			check: func(t *testing.T, st *sdfacility.Status, err error) {
				if !errors.Is(err, sdfacility.ErrMayBeDown) {
					t.Errorf("err = %v, want ErrMayBeDown", err)
				}
				if st == nil || !st.Running || len(st.Agents) != 6 || st.Agents[0].InitState != sdfacility.InitInitIng {
					t.Errorf("status %+v, want the fresh Init-ing table", st)
				}
			},
		},
		{
			// Exit codes are not public: a table with a non-zero exit is
			// neither "runs" nor "does not run", and nothing is sent.
			name:  "-s prints a table but exits non-zero: nothing is sent",
			cfg:   sdtest.Config{Nodes: twoGuests, Running: true, StatusExit: 3},
			calls: seq("sdtool -s"),
			check: func(t *testing.T, st *sdfacility.Status, err error) {
				var se *sdfacility.StatusError
				if !errors.As(err, &se) || !errors.Is(err, sdfacility.ErrUnconfirmed) || se.Status != st {
					t.Fatalf("err = %v, want a StatusError carrying the status", err)
				}
				if st.Running || st.Ready() || len(st.Agents) != 6 || st.ExitStatus != 3 {
					t.Errorf("status running %v ready %v, %d agents, exit %d; want the table kept, not running", st.Running, st.Ready(), len(st.Agents), st.ExitStatus)
				}
				if !strings.Contains(err.Error(), "exited 3 after printing a table of 6 agent(s): the shutdown facility is not confirmed running") {
					t.Errorf("message %q", err)
				}
			},
		},
		{
			name: "an agent ends TestFailed",
			cfg: sdtest.Config{Nodes: twoGuests,
				TestFails: []sdtest.AgentRef{{Node: "cfguest12", Agent: "SA_libvirtgr"}}},
			calls:  seq("sdtool -s", "sdtool -b", repeat("sdtool -s", 3)),
			within: 3 * time.Second,
			check: func(t *testing.T, st *sdfacility.Status, err error) {
				var ae *sdfacility.AgentError
				if !errors.As(err, &ae) || ae.Node != "cfguest12" || ae.Agent != "SA_libvirtgr" || ae.State != "TestFailed" {
					t.Fatalf("err = %v, want TestFailed on cfguest12/SA_libvirtgr", err)
				}
				if ae.Status != st || st == nil {
					t.Error("the error does not carry the status it was read from")
				}
			},
		},
		{
			name: "an agent ends InitFailed, one read earlier",
			cfg: sdtest.Config{Nodes: twoGuests,
				InitFails: []sdtest.AgentRef{{Node: "cfguest11", Agent: "SA_vmchkhost"}}},
			calls:  seq("sdtool -s", "sdtool -b", repeat("sdtool -s", 2)),
			within: time.Second,
			check: func(t *testing.T, st *sdfacility.Status, err error) {
				var ae *sdfacility.AgentError
				if !errors.As(err, &ae) || ae.Node != "cfguest11" || ae.Agent != "SA_vmchkhost" || ae.Column != "Init State" {
					t.Errorf("err = %v, want InitFailed on cfguest11/SA_vmchkhost", err)
				}
			},
		},
		{
			// Garbage on -s counts as "not running" (no table), so -b is
			// sent as the procedure says; the wait never sees a table
			// and the deadline ends it with the garbage in the error.
			name: "garbage on -s",
			cfg:  sdtest.Config{Nodes: twoGuests, Garbage: true},
			// Pauses 1, 2, 4, 8, then 10s each: reads at 0,1,3,7,15,25,35,45,55.
			calls:  seq("sdtool -s", "sdtool -b", repeat("sdtool -s", 9)),
			within: time.Minute,
			check: func(t *testing.T, st *sdfacility.Status, err error) {
				var we *sdfacility.WaitError
				if !errors.As(err, &we) || !errors.Is(err, sdfacility.ErrNotReady) || !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("err = %v, want a WaitError ended by the deadline", err)
				}
				if we.Last == nil || !strings.Contains(we.Last.Stdout, "internal error") || !strings.Contains(err.Error(), "internal error") {
					t.Errorf("the last status seen is not in the error: %v", err)
				}
			},
		},
		{
			// A facility that runs behind the garbage refuses -b: the
			// restart stops there, with sdtool's words in the error.
			name:  "garbage on -s while running",
			cfg:   sdtest.Config{Nodes: twoGuests, Running: true, Garbage: true},
			calls: seq("sdtool -s", "sdtool -b", "sdtool -s"),
			check: func(t *testing.T, st *sdfacility.Status, err error) {
				var ce *sdfacility.CommandError
				if !errors.As(err, &ce) || ce.Args[0] != "-b" || !strings.Contains(err.Error(), "already running") {
					t.Errorf("err = %v, want -b refused", err)
				}
				if st == nil || st.Running || !strings.Contains(st.Stdout, "internal error") {
					t.Errorf("status %+v, want the garbage status read after -b", st)
				}
			},
		},
		{
			name: "wide agent names",
			cfg: sdtest.Config{Nodes: []sdtest.Node{
				{Name: "cfguest-with-a-long-node-name", Agents: []string{"SA_libvirtgp", "SA_libvirtgr_with_a_wide_name"}},
			}},
			calls:  seq("sdtool -s", "sdtool -b", repeat("sdtool -s", 3)),
			within: 3 * time.Second,
			check: func(t *testing.T, st *sdfacility.Status, err error) {
				if err != nil || !st.Ready() || len(st.Problems) != 0 {
					t.Fatalf("err %v ready %v problems %v", err, st.Ready(), st.Problems)
				}
				if a := st.Agents[1]; a.Node != "cfguest-with-a-long-node-name" || a.Agent != "SA_libvirtgr_with_a_wide_name" {
					t.Errorf("wide row read as %+v", a)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sim := sdtest.New(tc.cfg)
				f := &sdfacility.Facility{Runner: sim}
				ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
				defer cancel()
				start := time.Now()
				st, err := f.Restart(ctx)
				if took := time.Since(start); took != tc.within {
					t.Errorf("took %v of fake time, want %v", took, tc.within)
				}
				if diff := cmp.Diff(tc.calls, sim.Calls()); diff != "" {
					t.Errorf("calls (-want +got):\n%s", diff)
				}
				tc.check(t, st, err)
			})
		})
	}
}

// The pause between polls doubles from PollInterval and stays bounded by
// MaxPollInterval.
func TestWaitReadyPollsWithBoundedInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := sdtest.New(sdtest.Config{Nodes: twoGuests, ReadsPerStep: 4})
		var at []time.Duration
		start := time.Now()
		rec := runnerFunc(func(ctx context.Context, name string, args ...string) ([]byte, []byte, int, error) {
			if args[0] == "-s" {
				at = append(at, time.Since(start))
			}
			return sim.Run(ctx, name, args...)
		})
		f := &sdfacility.Facility{Runner: rec, PollInterval: 500 * time.Millisecond, MaxPollInterval: 3 * time.Second}
		if err := f.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		st, err := f.WaitReady(t.Context())
		if err != nil || !st.Ready() {
			t.Fatalf("err %v ready %v", err, st.Ready())
		}
		// 8 reads to pass Init-ing and Testing (4 each), ready on the 9th.
		want := []time.Duration{0, 500 * time.Millisecond, 1500 * time.Millisecond, 3500 * time.Millisecond,
			6500 * time.Millisecond, 9500 * time.Millisecond, 12500 * time.Millisecond, 15500 * time.Millisecond, 18500 * time.Millisecond}
		if diff := cmp.Diff(want, at); diff != "" {
			t.Errorf("poll times (-want +got):\n%s", diff)
		}
	})
}

// A wait that runs out keeps the last status it read, so that the caller
// can show which agents were not ready.
func TestWaitReadyDeadlineKeepsLastStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := sdtest.New(sdtest.Config{Nodes: twoGuests, ReadsPerStep: 100})
		f := &sdfacility.Facility{Runner: sim}
		if err := f.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		st, err := f.WaitReady(ctx)
		var we *sdfacility.WaitError
		if !errors.As(err, &we) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want a WaitError with DeadlineExceeded", err)
		}
		if we.Last != st || st == nil || !st.Running || st.Agents[0].SAState != sdfacility.SAInitIng {
			t.Errorf("last status %+v, want the Init-ing table", st)
		}
		if !strings.Contains(err.Error(), "cfguest11/SA_libvirtgp (SA Init-ing") {
			t.Errorf("error %q does not say which agents were waited for", err)
		}
	})
}

// A facility that is not running yet when the wait starts is polled again.
func TestWaitReadyPollsWhileNotRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := sdtest.New(sdtest.Config{Nodes: twoGuests})
		f := &sdfacility.Facility{Runner: sim}
		go func() {
			time.Sleep(2500 * time.Millisecond) // the daemon comes up late
			sim.Run(t.Context(), "sdtool", "-b")
		}()
		st, err := f.WaitReady(t.Context())
		if err != nil || !st.Ready() {
			t.Fatalf("err %v ready %v", err, st.Ready())
		}
		// Reads at 0, 1s, 3s (the -b at 2.5s), 7s, 15s: not running twice,
		// then Init-ing, Testing, TestWorked.
		want := seq(repeat("sdtool -s", 2), "sdtool -b", repeat("sdtool -s", 3))
		if diff := cmp.Diff(want, sim.Calls()); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
	})
}

func TestStatusMissingTool(t *testing.T) {
	sim := sdtest.New(sdtest.Config{Nodes: twoGuests, SDToolMissing: true})
	f := &sdfacility.Facility{Runner: sim}
	_, err := f.Status(t.Context())
	if !errors.Is(err, sdfacility.ErrToolMissing) {
		t.Errorf("err = %v, want ErrToolMissing", err)
	}
	_, err = f.Restart(t.Context())
	if !errors.Is(err, sdfacility.ErrToolMissing) || len(sim.Calls()) != 2 {
		t.Errorf("restart: err = %v calls %v, want ErrToolMissing after one status", err, sim.Calls())
	}
}

func TestStatusNotRunning(t *testing.T) {
	for _, zero := range []bool{false, true} {
		sim := sdtest.New(sdtest.Config{Nodes: twoGuests, DownExitZero: zero})
		st, err := (&sdfacility.Facility{Runner: sim}).Status(t.Context())
		if err != nil || st.Running || !strings.Contains(st.Stdout+st.Stderr, "not running") {
			t.Errorf("exit zero %v: err %v running %v raw %q", zero, err, st.Running, st.Stdout+st.Stderr)
		}
	}
}

func TestActionsAreReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := sdtest.New(sdtest.Config{Nodes: twoGuests, Running: true})
		var got []string
		f := &sdfacility.Facility{Runner: sim, SDTool: "/custom/sdtool", OnAction: func(a sdfacility.Action) { got = append(got, a.String()) }}
		if _, err := f.Restart(t.Context()); err != nil {
			t.Fatal(err)
		}
		want := []string{
			"sdtool -s: is the shutdown facility running?",
			"sdtool -e: it runs: stop it first",
			"sdtool -b: start it again",
			"waiting until every agent reads InitWorked and TestWorked",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("actions (-want +got):\n%s", diff)
		}
	})
}

// afterStep returns the status that err, a *StepError, holds.
func afterStep(t *testing.T, err error) *sdfacility.Status {
	t.Helper()
	var se *sdfacility.StepError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a *StepError", err)
	}
	return se.Status
}

// A read after a failed step that cannot be read either says so: no
// status, and why, after its own short bound even though the caller's
// context has ended.
func TestRestartRecheckUnreadable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := sdtest.New(sdtest.Config{Nodes: twoGuests, Running: true, StartHangs: true})
		reads := 0
		r := runnerFunc(func(ctx context.Context, name string, args ...string) ([]byte, []byte, int, error) {
			if args[0] == "-s" {
				if reads++; reads > 1 { // the daemon no longer answers
					<-ctx.Done()
					return nil, nil, -1, ctx.Err()
				}
			}
			return sim.Run(ctx, name, args...)
		})
		f := &sdfacility.Facility{Runner: r}
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		start := time.Now()
		st, err := f.Restart(ctx)
		if took := time.Since(start); took != time.Minute+sdfacility.DefaultRecheckTimeout {
			t.Errorf("took %v, want the caller's minute and the recheck's bound", took)
		}
		var se *sdfacility.StepError
		if !errors.As(err, &se) || st != nil || se.Status != nil || !errors.Is(se.StatusErr, context.DeadlineExceeded) || !errors.Is(err, sdfacility.ErrMayBeDown) {
			t.Errorf("status %v err %v; want no status, the recheck's timeout in StatusErr", st, err)
		}
	})
}

// A wait ends as soon as its context does, in the middle of a pause.
func TestWaitReadyEndsAtCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := sdtest.New(sdtest.Config{Nodes: twoGuests, Running: true, ReadsPerStep: 1000})
		sim.Run(t.Context(), "sdtool", "-e")
		sim.Run(t.Context(), "sdtool", "-b")
		// As a real runner does, refuse to start a command once ctx ended.
		r := runnerFunc(func(ctx context.Context, name string, args ...string) ([]byte, []byte, int, error) {
			if err := ctx.Err(); err != nil {
				return nil, nil, -1, err
			}
			return sim.Run(ctx, name, args...)
		})
		f := &sdfacility.Facility{Runner: r, PollInterval: 10 * time.Second}
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(2500*time.Millisecond, cancel)
		start := time.Now()
		st, err := f.WaitReady(ctx)
		if took := time.Since(start); took != 2500*time.Millisecond {
			t.Errorf("the wait ended %v after it started, want at the cancel (2.5s)", took)
		}
		if !errors.Is(err, context.Canceled) || !errors.Is(err, sdfacility.ErrNotReady) || st == nil || len(st.Agents) != 6 {
			t.Errorf("err %v status %v; want the cancellation and the last status", err, st)
		}
	})
}

// A table with a non-zero exit is never ready: the wait reads again and,
// when its time is up, says the facility is not confirmed running.
func TestWaitReadyTableWithNonZeroExit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := sdtest.New(sdtest.Config{Nodes: twoGuests, Running: true, StatusExit: 1})
		f := &sdfacility.Facility{Runner: sim}
		st, err := f.Status(t.Context())
		if !errors.Is(err, sdfacility.ErrUnconfirmed) || st == nil || st.Running || st.Ready() {
			t.Fatalf("Status: %v, %+v; want ErrUnconfirmed and not running", err, st)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		st, err = f.WaitReady(ctx)
		if !errors.Is(err, sdfacility.ErrNotReady) || st == nil || st.Ready() || len(sim.Calls()) != 4 {
			t.Errorf("err %v status %v, %d reads; want not ready after reads at 0, 1s and 3s", err, st, len(sim.Calls()))
		}
		if err != nil && !strings.Contains(err.Error(), "not confirmed running: sdtool -s exited 1 after printing its table") {
			t.Errorf("message %q", err)
		}
	})
}

type runnerFunc func(ctx context.Context, name string, args ...string) ([]byte, []byte, int, error)

func (f runnerFunc) Run(ctx context.Context, name string, args ...string) ([]byte, []byte, int, error) {
	return f(ctx, name, args...)
}

// A read after a failed step that takes longer than the old 2 s bound (a
// busy node) is still read when the caller's own bound is not what ended
// it; after Ctrl-C (the caller's context cancelled) the read gets only
// InterruptedRecheckTimeout, so the CLI can print it within its grace.
func TestRecheckBoundByHowTheCallerEnded(t *testing.T) {
	slowRead := 3 * time.Second // over the old bound, under DefaultRecheckTimeout
	for _, tc := range []struct {
		name     string
		cancelAt time.Duration // 0: the step fails by itself
		wantRead bool
		wantTook time.Duration
	}{
		{"step fails, busy node", 0, true, slowRead},
		{"interrupted", time.Second, false, time.Second + sdfacility.InterruptedRecheckTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sim := sdtest.New(sdtest.Config{Nodes: twoGuests, Running: true, StartFails: tc.cancelAt == 0, StartHangs: tc.cancelAt != 0})
				reads := 0
				r := runnerFunc(func(ctx context.Context, name string, args ...string) ([]byte, []byte, int, error) {
					if args[0] == "-s" {
						if reads++; reads > 1 { // the read after the step: a busy node
							select {
							case <-time.After(slowRead):
							case <-ctx.Done():
								return nil, nil, -1, ctx.Err()
							}
						}
					}
					return sim.Run(ctx, name, args...)
				})
				f := &sdfacility.Facility{Runner: r}
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				if tc.cancelAt > 0 {
					time.AfterFunc(tc.cancelAt, cancel)
				}
				start := time.Now()
				_, err := f.Restart(ctx)
				if took := time.Since(start); took != tc.wantTook {
					t.Errorf("took %v, want %v", took, tc.wantTook)
				}
				var se *sdfacility.StepError
				if !errors.As(err, &se) {
					t.Fatalf("err %v, want a *StepError", err)
				}
				if got := se.Status != nil; got != tc.wantRead {
					t.Errorf("the state after the step read: %v, want %v (StatusErr %v)", got, tc.wantRead, se.StatusErr)
				}
			})
		})
	}
}
