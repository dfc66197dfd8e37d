package sdfacility_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/sdfacility"
	"github.com/sfkvm/sfkvm/sdfacility/sdtest"
)

func TestLocalRunnerExitStatusAndOutput(t *testing.T) {
	p := sdtest.Install(t, sdtest.Config{Nodes: twoGuests})
	stdout, stderr, code, err := sdfacility.LocalRunner{}.Run(t.Context(), p.SDTool, "-e")
	if err != nil || code != 1 || len(stdout) != 0 || !strings.Contains(string(stderr), "not running") {
		t.Errorf("sdtool -e while stopped: stdout %q stderr %q code %d err %v; want exit 1 with the reason on stderr, err nil", stdout, stderr, code, err)
	}
	stdout, _, code, err = sdfacility.LocalRunner{}.Run(t.Context(), p.CFTool, "-c")
	if err != nil || code != 0 || string(stdout) != "cluster1\n" {
		t.Errorf("cftool -c: stdout %q code %d err %v", stdout, code, err)
	}
}

func TestLocalRunnerMissingTool(t *testing.T) {
	_, _, code, err := sdfacility.LocalRunner{}.Run(t.Context(), t.TempDir()+"/sdtool", "-s")
	if !errors.Is(err, sdfacility.ErrToolMissing) || code != -1 {
		t.Errorf("code %d err %v, want -1 and ErrToolMissing", code, err)
	}
}

// A tool that is there but cannot start (a script whose interpreter is
// missing: exec says ENOENT all the same) is not a missing tool, and the
// error names the tool as present.
func TestLocalRunnerToolPresentButInterpreterMissing(t *testing.T) {
	path := t.TempDir() + "/sdtool"
	if err := testenv.WriteExecutable(path, []byte("#!/nonexistent/interpreter\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, _, code, err := sdfacility.LocalRunner{}.Run(t.Context(), path, "-s")
	if err == nil || errors.Is(err, sdfacility.ErrToolMissing) || code != -1 || !strings.Contains(err.Error(), "exists but cannot be started") {
		t.Errorf("code %d err %v, want -1 and not ErrToolMissing", code, err)
	}
	_, _, _, err = sdfacility.LocalRunner{}.Run(t.Context(), "sfkvm-no-such-tool-in-path", "-s")
	if !errors.Is(err, sdfacility.ErrToolMissing) {
		t.Errorf("a name not in PATH: err %v, want ErrToolMissing", err)
	}
}

func TestLocalRunnerSetsCLocale(t *testing.T) {
	env := testenv.LookPath(t, "env", "coreutils")
	t.Setenv("LC_ALL", "ja_JP.UTF-8")
	stdout, _, code, err := sdfacility.LocalRunner{}.Run(t.Context(), env)
	if err != nil || code != 0 {
		t.Fatalf("env: code %d err %v", code, err)
	}
	var got []string
	for _, kv := range strings.Split(string(stdout), "\n") {
		if strings.HasPrefix(kv, "LC_ALL=") {
			got = append(got, kv)
		}
	}
	if diff := cmp.Diff([]string{"LC_ALL=C"}, got); diff != "" {
		t.Errorf("LC_ALL in the command's environment (-want +got):\n%s", diff)
	}
}

// A hung sdtool -b, and the child it started in its process group, are
// both killed when the context ends; Run returns at once, not after
// WaitDelay, because the group's kill closes the output pipes.
func TestLocalRunnerKillsProcessGroupOnCancel(t *testing.T) {
	p := sdtest.Install(t, sdtest.Config{Nodes: twoGuests, StartHangs: true})
	ctx := cancelWhenHanging(t, p)
	start := time.Now()
	_, _, code, err := sdfacility.LocalRunner{WaitDelay: 20 * time.Second}.Run(ctx, p.SDTool, "-b")
	took := time.Since(start)
	if !errors.Is(err, context.Canceled) || code != -1 {
		t.Errorf("code %d err %v, want -1 and the cancellation", code, err)
	}
	if took > 15*time.Second {
		t.Errorf("Run took %v: the pipes stayed open until WaitDelay, so the group was not killed", took)
	}
	pids := p.HangPIDs(t)
	if len(pids) != 2 {
		t.Fatalf("hanging sdtool wrote pids %v, want its own and its child's", pids)
	}
	for _, pid := range pids {
		if !processGone(pid, 5*time.Second) {
			t.Errorf("process %d still alive after the cancellation", pid)
		}
	}
}

// cancelWhenHanging returns a context that is cancelled as soon as the
// fake's sdtool -b hangs with its child started (a real process, watched
// in real time: how long it takes to start depends on the machine), or
// after a minute.
func cancelWhenHanging(t *testing.T, p *sdtest.Program) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	go func() {
		for !p.Hanging() && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	return ctx
}

// processGone reports whether pid has exited (gone, or a zombie that its
// new parent has not reaped) within limit. This polls the kernel's view of
// a real process; it is not a wait of the code under test.
func processGone(pid int, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for {
		f, err := testenv.ProcStat(pid)
		if err != nil {
			return true
		}
		if len(f) > 0 && (f[0] == "Z" || f[0] == "X") {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The same sequences as TestRestartSequences, with real processes: the
// fake sdtool program keeps its state in a folder and walks the same steps.
func TestRestartWithFakeProgram(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     sdtest.Config
		timeout time.Duration
		calls   []string
		ok      bool
		errIs   func(error) bool
	}{
		{"not running", sdtest.Config{Nodes: twoGuests}, 20 * time.Second,
			seq("sdtool -s", "sdtool -b", repeat("sdtool -s", 3)), true, nil},
		{"running", sdtest.Config{Nodes: twoGuests, Running: true}, 20 * time.Second,
			seq("sdtool -s", "sdtool -e", "sdtool -b", repeat("sdtool -s", 3)), true, nil},
		{"stop fails", sdtest.Config{Nodes: twoGuests, Running: true, StopFails: true}, 20 * time.Second,
			seq("sdtool -s", "sdtool -e", "sdtool -s"), false, func(err error) bool { return errors.Is(err, sdfacility.ErrCommandFailed) }},
		{"start hangs", sdtest.Config{Nodes: twoGuests, StartHangs: true}, 0, // cancelled when hanging
			seq("sdtool -s", "sdtool -b", "sdtool -s"), false, func(err error) bool { return errors.Is(err, context.Canceled) }},
		{"start hangs after -e", sdtest.Config{Nodes: twoGuests, Running: true, StartHangs: true}, 0,
			seq("sdtool -s", "sdtool -e", "sdtool -b", "sdtool -s"), false, func(err error) bool { return errors.Is(err, sdfacility.ErrMayBeDown) }},
		{"table with exit 2", sdtest.Config{Nodes: twoGuests, Running: true, StatusExit: 2}, 20 * time.Second,
			seq("sdtool -s"), false, func(err error) bool { return errors.Is(err, sdfacility.ErrUnconfirmed) }},
		{"TestFailed agent", sdtest.Config{Nodes: twoGuests, TestFails: []sdtest.AgentRef{{Node: "cfguest11", Agent: "SA_libvirtgp"}}}, 20 * time.Second,
			seq("sdtool -s", "sdtool -b", repeat("sdtool -s", 3)), false, func(err error) bool { return errors.Is(err, sdfacility.ErrAgentFailed) }},
		{"wide names", sdtest.Config{Nodes: []sdtest.Node{{Name: "cfguest-with-a-long-node-name", Agents: []string{"SA_libvirtgp_with_a_wide_name"}}}}, 20 * time.Second,
			seq("sdtool -s", "sdtool -b", repeat("sdtool -s", 3)), true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := sdtest.Install(t, tc.cfg)
			f := &sdfacility.Facility{SDTool: p.SDTool, PollInterval: 10 * time.Millisecond, MaxPollInterval: 10 * time.Millisecond}
			var ctx context.Context
			if tc.timeout == 0 {
				ctx = cancelWhenHanging(t, p)
			} else {
				c, cancel := context.WithTimeout(t.Context(), tc.timeout)
				defer cancel()
				ctx = c
			}
			st, err := f.Restart(ctx)
			if diff := cmp.Diff(tc.calls, p.Calls(t)); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if tc.ok && (err != nil || !st.Ready()) {
				t.Errorf("err %v, ready %v; want ready", err, st.Ready())
			}
			if !tc.ok && (err == nil || !tc.errIs(err)) {
				t.Errorf("err %v, want the %s error", err, tc.name)
			}
		})
	}
}

// Garbage on -s: real processes; the context is cancelled after the third
// read that follows -b, and the wait ends with the garbage in the error.
func TestRestartWithFakeProgramGarbage(t *testing.T) {
	p := sdtest.Install(t, sdtest.Config{Nodes: twoGuests, Garbage: true})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	reads := 0
	counting := runnerFunc(func(ctx context.Context, name string, args ...string) ([]byte, []byte, int, error) {
		stdout, stderr, code, err := sdfacility.LocalRunner{}.Run(ctx, name, args...)
		if args[0] == "-s" {
			if reads++; reads == 4 {
				cancel()
			}
		}
		return stdout, stderr, code, err
	})
	f := &sdfacility.Facility{Runner: counting, SDTool: p.SDTool, PollInterval: 10 * time.Millisecond}
	_, err := f.Restart(ctx)
	var we *sdfacility.WaitError
	if !errors.As(err, &we) || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "internal error") {
		t.Errorf("err %v, want a WaitError with the garbage in the message", err)
	}
	if diff := cmp.Diff(seq("sdtool -s", "sdtool -b", repeat("sdtool -s", 3)), p.Calls(t)); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}
