package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sfkvm/sfkvm/sdfacility/sdtest"
)

// The fake sdtool of sdtest.Install is a link to this test binary: when
// started through it, act as sdtool instead of testing.
func init() { sdtest.RunIfInstalled() }

var sdNodes = []sdtest.Node{
	{Name: "cfguest11", Agents: []string{"SA_libvirtgp", "SA_libvirtgr", "SA_vmchkhost"}},
	{Name: "cfguest12", Agents: []string{"SA_libvirtgp", "SA_libvirtgr", "SA_vmchkhost"}},
}

func runSDTest(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), append([]string{"sd"}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestSDStatus(t *testing.T) {
	p := sdtest.Install(t, sdtest.Config{Nodes: sdNodes, Running: true})
	code, stdout, stderr := runSDTest(t, "status", "--sdtool", p.SDTool)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 7 || !strings.HasPrefix(lines[0], "Cluster Host  Agent") ||
		strings.Join(strings.Fields(lines[6]), " ") != "cfguest12 SA_vmchkhost Idle Unknown TestWorked InitWorked" {
		t.Errorf("table:\n%s", stdout)
	}
	if diff := cmp.Diff([]string{"sdtool -s"}, p.Calls(t)); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

type sdAgentJSON struct {
	Node      string `json:"node"`
	Agent     string `json:"agent"`
	TestState string `json:"test_state"`
}

func TestSDStatusJSON(t *testing.T) {
	p := sdtest.Install(t, sdtest.Config{Nodes: sdNodes, Running: true})
	code, stdout, stderr := runSDTest(t, "--format=json", "status", "--sdtool", p.SDTool)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var res struct {
		Action string
		Ready  bool
		Status struct {
			Running bool
			Agents  []sdAgentJSON
		}
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	if res.Action != "status" || !res.Ready || !res.Status.Running || len(res.Status.Agents) != 6 ||
		res.Status.Agents[5] != (sdAgentJSON{"cfguest12", "SA_vmchkhost", "TestWorked"}) {
		t.Errorf("JSON %+v", res)
	}
}

func TestSDStatusNotRunning(t *testing.T) {
	p := sdtest.Install(t, sdtest.Config{Nodes: sdNodes})
	code, stdout, stderr := runSDTest(t, "status", "--sdtool", p.SDTool)
	if code != exitFailed || stdout != "" || !strings.Contains(stderr, "not running (sdtool -s exit status 1") {
		t.Errorf("exit %d stdout %q stderr %q; want 1, nothing on stdout, the reason on stderr", code, stdout, stderr)
	}
}

func TestSDMissingTool(t *testing.T) {
	for _, action := range []string{"status", "start", "stop", "restart"} {
		code, _, stderr := runSDTest(t, action, "--sdtool", t.TempDir()+"/sdtool")
		if code != exitUnavailable || !strings.Contains(stderr, "sdtool not found") {
			t.Errorf("%s: exit %d stderr %q, want 69", action, code, stderr)
		}
	}
}

// hangTimeout is --timeout where a fake sdtool hangs: the steps before
// the hang (each a process start of the fake) must fit in it also at a
// load average of 40, where 1 s did not (sdtool -e was cut short, and the
// calls differed).
const hangTimeout = "4s"

func TestSDRestart(t *testing.T) {
	t.Parallel() // waits out hangTimeout beside the tests that wait for logins; its cases one at a time (ten fake sdtools at once were too slow at load)
	for _, tc := range []struct {
		name     string
		cfg      sdtest.Config
		args     []string
		code     int
		calls    []string
		stderr   []string // in this order
		rowCount int      // rows of the final table on stdout
		// rowsAreNot is a word that the table must not hold (the state
		// before the restart).
		rowsAreNot string
	}{
		{
			name:  "running: stop, start, wait",
			cfg:   sdtest.Config{Nodes: sdNodes, Running: true},
			code:  exitOK,
			calls: []string{"sdtool -s", "sdtool -e", "sdtool -b", "sdtool -s", "sdtool -s", "sdtool -s"},
			stderr: []string{
				"sfkvm sd: sdtool -s: is the shutdown facility running?",
				"sfkvm sd: sdtool -e: it runs: stop it first",
				"sfkvm sd: sdtool -b: start it again",
				"sfkvm sd: waiting until every agent reads InitWorked and TestWorked",
				"sfkvm sd: every agent is initialised and tested",
			},
			rowCount: 6,
		},
		{
			name:  "not running: start, wait",
			cfg:   sdtest.Config{Nodes: sdNodes},
			code:  exitOK,
			calls: []string{"sdtool -s", "sdtool -b", "sdtool -s", "sdtool -s", "sdtool -s"},
			stderr: []string{
				"sfkvm sd: sdtool -b: it does not run: start it",
				"sfkvm sd: every agent is initialised and tested",
			},
			rowCount: 6,
		},
		{
			name:  "stop fails: no start",
			cfg:   sdtest.Config{Nodes: sdNodes, Running: true, StopFails: true},
			code:  exitFailed,
			calls: []string{"sdtool -s", "sdtool -e", "sdtool -s"},
			stderr: []string{
				"sfkvm sd: sdtool -s: read the state after it",
				`exit status 1: stderr "sdtool: failed to stop the shutdown daemon"`,
				"sfkvm sd: sdtool -b was not sent because sdtool -e failed",
				"sfkvm sd: sdtool -s now: every agent is ready",
			},
			rowCount: 6, // read again after -e: the fake still runs
		},
		{
			name:     "TestFailed agent",
			cfg:      sdtest.Config{Nodes: sdNodes, TestFails: []sdtest.AgentRef{{Node: "cfguest12", Agent: "SA_libvirtgp"}}},
			code:     exitFailed,
			calls:    []string{"sdtool -s", "sdtool -b", "sdtool -s", "sdtool -s", "sdtool -s"},
			stderr:   []string{"sfkvm sd: shutdown agent SA_libvirtgp on node cfguest12 failed: Test State is TestFailed"},
			rowCount: 6,
		},
		{
			name:  "start hangs: the timeout ends it",
			cfg:   sdtest.Config{Nodes: sdNodes, StartHangs: true},
			args:  []string{"--timeout", hangTimeout},
			code:  exitFailed,
			calls: []string{"sdtool -s", "sdtool -b", "sdtool -s"},
			stderr: []string{
				"sdtool -b: did not finish: context deadline exceeded",
				"; the shutdown facility may now be down: sdtool -s shows it, sdtool -b starts it",
				"sfkvm sd: sdtool -s now: not running (sdtool -s exit status 1",
			},
			rowCount: 0,
		},
		{
			// The report: the facility ran, every agent green; -e
			// stopped it, -b hung until --timeout. The green table from
			// before must not be shown.
			name:  "running: -e works, -b hangs until the timeout",
			cfg:   sdtest.Config{Nodes: sdNodes, Running: true, StartHangs: true},
			args:  []string{"--timeout", hangTimeout},
			code:  exitFailed,
			calls: []string{"sdtool -s", "sdtool -e", "sdtool -b", "sdtool -s"},
			stderr: []string{
				"sdtool -b: start it again",
				"sdtool -s: read the state after it",
				"sdtool -b: did not finish: context deadline exceeded; the shutdown facility may now be down: sdtool -s shows it, sdtool -b starts it",
				"sfkvm sd: sdtool -s now: not running (sdtool -s exit status 1",
			},
			rowCount: 0,
		},
		{
			name:  "sdtool -s prints a table but exits non-zero: nothing is sent",
			cfg:   sdtest.Config{Nodes: sdNodes, Running: true, StatusExit: 2},
			code:  exitFailed,
			calls: []string{"sdtool -s"},
			stderr: []string{
				"sfkvm sd: sdtool -s exited 2 after printing a table of 6 agent(s): the shutdown facility is not confirmed running",
				"sfkvm sd: neither sdtool -e nor sdtool -b was sent: whether the facility runs is not known",
			},
			rowCount: 6, // shown as read
		},
		{
			name:  "running: -e works, -b fails",
			cfg:   sdtest.Config{Nodes: sdNodes, Running: true, StartFails: true},
			code:  exitFailed,
			calls: []string{"sdtool -s", "sdtool -e", "sdtool -b", "sdtool -s"},
			stderr: []string{
				`exit status 1: stderr "sdtool: failed to start the shutdown daemon"; the shutdown facility may now be down: sdtool -s shows it, sdtool -b starts it`,
				"sfkvm sd: sdtool -s now: not running (sdtool -s exit status 1",
			},
			rowCount: 0,
		},
		{
			name:  "running: -b hangs after the daemon started: the fresh table",
			cfg:   sdtest.Config{Nodes: sdNodes, Running: true, StartHangs: true, HangAfterStart: true},
			args:  []string{"--timeout", hangTimeout},
			code:  exitFailed,
			calls: []string{"sdtool -s", "sdtool -e", "sdtool -b", "sdtool -s"},
			stderr: []string{
				"the shutdown facility may now be down",
				"sfkvm sd: sdtool -s now: not ready: cfguest11/SA_libvirtgp (SA Init-ing, Test Unknown, Init Init-ing)",
			},
			rowCount:   6,
			rowsAreNot: "TestWorked",
		},
		{
			name:     "wait runs out",
			cfg:      sdtest.Config{Nodes: sdNodes, ReadsPerStep: 1000},
			args:     []string{"--timeout", "5s"}, // the steps before the wait fit also on a busy machine
			code:     exitFailed,
			stderr:   []string{"shutdown facility not ready when the wait ended (context deadline exceeded); last status: not ready: cfguest11/SA_libvirtgp (SA Init-ing"},
			rowCount: 6,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := sdtest.Install(t, tc.cfg)
			code, stdout, stderr := runSDTest(t, append([]string{"restart", "--sdtool", p.SDTool, "--poll", "10ms"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			if tc.calls != nil {
				if diff := cmp.Diff(tc.calls, p.Calls(t)); diff != "" {
					t.Errorf("calls (-want +got):\n%s", diff)
				}
			}
			rest := stderr
			for _, want := range tc.stderr {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Errorf("stderr lacks %q (in order); stderr:\n%s", want, stderr)
					break
				}
				rest = rest[i+len(want):]
			}
			rows := 0
			if s := strings.TrimSpace(stdout); s != "" {
				rows = len(strings.Split(s, "\n")) - 1
			}
			if rows != tc.rowCount {
				t.Errorf("final table has %d rows, want %d:\n%s", rows, tc.rowCount, stdout)
			}
			if tc.rowsAreNot != "" && strings.Contains(stdout, tc.rowsAreNot) {
				t.Errorf("final table holds %q, the state before the restart:\n%s", tc.rowsAreNot, stdout)
			}
		})
	}
}

// A restart interrupted (as by a signal) while sdtool -b hangs, after -e
// stopped the facility: the table shown is the one read after, and the
// message says the facility may be down and what to run.
func TestSDRestartInterruptedWhileStartHangs(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			p := sdtest.Install(t, sdtest.Config{Nodes: sdNodes, Running: true, StartHangs: true, HangAfterStart: true})
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			go func() {
				for !p.Hanging() && ctx.Err() == nil {
					time.Sleep(10 * time.Millisecond)
				}
				cancel()
			}()
			var out, errOut bytes.Buffer
			code := run(ctx, []string{"sd", "restart", "--sdtool", p.SDTool, "--format", format}, strings.NewReader(""), &out, &errOut)
			if code != exitFailed {
				t.Errorf("exit %d, want 1", code)
			}
			if diff := cmp.Diff([]string{"sdtool -s", "sdtool -e", "sdtool -b", "sdtool -s"}, p.Calls(t)); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			stdout := out.String()
			if format == "json" {
				var res struct {
					Error  string
					Status struct {
						Running bool
						Agents  []struct {
							TestState string `json:"test_state"`
						}
					}
				}
				if err := json.Unmarshal(out.Bytes(), &res); err != nil {
					t.Fatalf("%v:\n%s", err, stdout)
				}
				if !strings.Contains(res.Error, "context canceled; the shutdown facility may now be down: sdtool -s shows it, sdtool -b starts it") ||
					!res.Status.Running || len(res.Status.Agents) != 6 || res.Status.Agents[0].TestState != "Unknown" {
					t.Errorf("JSON %+v, want the error and the fresh Init-ing status", res)
				}
				return
			}
			if strings.Count(stdout, "Init-ing") != 12 || strings.Contains(stdout, "TestWorked") {
				t.Errorf("table is not the fresh one (every agent Init-ing):\n%s", stdout)
			}
			if !strings.Contains(errOut.String(), "may now be down: sdtool -s shows it, sdtool -b starts it") {
				t.Errorf("stderr:\n%s", errOut.String())
			}
		})
	}
}

// sdtool -s that prints a table but exits non-zero is not "running": exit
// 1, the table shown as read, and the reason.
func TestSDStatusTableWithNonZeroExit(t *testing.T) {
	p := sdtest.Install(t, sdtest.Config{Nodes: sdNodes, Running: true, StatusExit: 4})
	code, stdout, stderr := runSDTest(t, "status", "--sdtool", p.SDTool)
	if code != exitFailed || strings.Count(stdout, "TestWorked") != 6 ||
		!strings.Contains(stderr, "sdtool -s exited 4 after printing a table of 6 agent(s): the shutdown facility is not confirmed running") {
		t.Errorf("exit %d stdout %q stderr %q; want 1, the table, and why it is not taken as running", code, stdout, stderr)
	}
}

// --sdtool is a path: a bare name is looked for in the current folder,
// never on PATH.
func TestSDToolNameIsNotSearchedOnPath(t *testing.T) {
	p := sdtest.Install(t, sdtest.Config{Nodes: sdNodes, Running: true})
	t.Setenv("PATH", p.Dir+":"+os.Getenv("PATH"))
	code, _, stderr := runSDTest(t, "status", "--sdtool", "sdtool")
	wd, _ := os.Getwd() // a relative path is the working folder's (issue 20)
	if code != exitUnavailable || len(p.Calls(t)) != 0 || !strings.Contains(stderr, filepath.Join(wd, "sdtool")) {
		t.Errorf("exit %d, calls %q, stderr %q; want 69 and the sdtool on PATH never run", code, p.Calls(t), stderr)
	}
	t.Chdir(p.Dir)
	if code, _, stderr := runSDTest(t, "status", "--sdtool", "sdtool"); code != exitOK || len(p.Calls(t)) != 1 {
		t.Errorf("in its folder: exit %d, stderr %q; want ./sdtool run", code, stderr)
	}
}

func TestSDStartAndStop(t *testing.T) {
	p := sdtest.Install(t, sdtest.Config{Nodes: sdNodes})
	if code, _, stderr := runSDTest(t, "start", "--sdtool", p.SDTool, "--poll", "10ms"); code != exitOK {
		t.Fatalf("start: exit %d\n%s", code, stderr)
	}
	if code, stdout, stderr := runSDTest(t, "stop", "--sdtool", p.SDTool); code != exitOK || stdout != "" || !strings.Contains(stderr, "was stopped") {
		t.Fatalf("stop: exit %d stdout %q stderr %s", code, stdout, stderr)
	}
	if code, _, stderr := runSDTest(t, "stop", "--sdtool", p.SDTool); code != exitFailed || !strings.Contains(stderr, "not running") {
		t.Errorf("second stop: exit %d stderr %s; want 1 with sdtool's words", code, stderr)
	}
	// Each stop reads sdtool -s after it.
	want := []string{"sdtool -b", "sdtool -s", "sdtool -s", "sdtool -s", "sdtool -e", "sdtool -s", "sdtool -e", "sdtool -s"}
	if diff := cmp.Diff(want, p.Calls(t)); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestSDUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"reboot"}, {"status", "extra"}, {"status", "--format=xml"}, {"status", "--timeout", "soon"},
		{"status", "--timeout", "0s"}, {"restart", "--timeout", "-1m"}, {"restart", "--poll", "0s"}, {"start", "--poll", "-10ms"},
		{"status", "--sdtool", ""}} {
		if code, _, stderr := runSDTest(t, args...); code != exitUsage || stderr == "" {
			t.Errorf("sd %q: exit %d stderr %q, want 2 with a message", args, code, stderr)
		}
	}
}

// The whole output of the common cases, as a user sees it.
func TestSDGolden(t *testing.T) {
	t.Parallel() // waits out hangTimeout beside the tests that wait for logins; its cases one at a time (ten fake sdtools at once were too slow at load)
	for _, tc := range []struct {
		name string
		cfg  sdtest.Config
		args []string
	}{
		{"sd-status", sdtest.Config{Nodes: sdNodes, Running: true}, []string{"status"}},
		{"sd-status-not-running", sdtest.Config{Nodes: sdNodes}, []string{"status"}},
		{"sd-status-garbage", sdtest.Config{Nodes: sdNodes, Garbage: true}, []string{"status"}},
		{"sd-status-garbage-json", sdtest.Config{Nodes: sdNodes, Garbage: true}, []string{"status", "--format=json"}},
		{"sd-restart", sdtest.Config{Nodes: sdNodes, Running: true}, []string{"restart", "--poll", "10ms"}},
		{"sd-restart-stop-fails", sdtest.Config{Nodes: sdNodes, Running: true, StopFails: true}, []string{"restart"}},
		{"sd-restart-start-fails", sdtest.Config{Nodes: sdNodes, Running: true, StartFails: true}, []string{"restart"}},
		{"sd-restart-start-hangs", sdtest.Config{Nodes: sdNodes, Running: true, StartHangs: true}, []string{"restart", "--timeout", hangTimeout}},
		{"sd-status-table-exit-3", sdtest.Config{Nodes: sdNodes, Running: true, StatusExit: 3}, []string{"status"}},
		{"sd-restart-test-failed", sdtest.Config{Nodes: sdNodes, TestFails: []sdtest.AgentRef{{Node: "cfguest12", Agent: "SA_vmchkhost"}}}, []string{"restart", "--poll", "10ms"}},
		{"sd-restart-json", sdtest.Config{Nodes: sdNodes[:1]}, []string{"restart", "--poll", "10ms", "--format=json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := sdtest.Install(t, tc.cfg)
			r := runCLI(t, "", append([]string{"sd", "--sdtool", p.SDTool}, tc.args...)...)
			golden(t, tc.name, r, p.SDTool, "/opt/SMAW/bin/sdtool")
		})
	}
}

// sd start that fails or hangs shows the state read after it.
func TestSDStartFailsShowsStateAfter(t *testing.T) {
	t.Parallel() // waits out hangTimeout beside the tests that wait for logins; its cases one at a time (ten fake sdtools at once were too slow at load)
	p := sdtest.Install(t, sdtest.Config{Nodes: sdNodes, StartFails: true})
	code, stdout, stderr := runSDTest(t, "start", "--sdtool", p.SDTool)
	if code != exitFailed || stdout != "" || !strings.Contains(stderr, "may now be down: sdtool -s shows it, sdtool -b starts it") ||
		!strings.Contains(stderr, "sfkvm sd: sdtool -s now: not running") {
		t.Errorf("start fails: exit %d stdout %q stderr %s", code, stdout, stderr)
	}
	p = sdtest.Install(t, sdtest.Config{Nodes: sdNodes, StartHangs: true, HangAfterStart: true})
	code, stdout, stderr = runSDTest(t, "start", "--sdtool", p.SDTool, "--timeout", hangTimeout)
	if code != exitFailed || strings.Count(stdout, "Init-ing") != 12 || !strings.Contains(stderr, "sfkvm sd: sdtool -s now: not ready") {
		t.Errorf("start hangs: exit %d stdout %q stderr %s; want the Init-ing table read after it", code, stdout, stderr)
	}
	if diff := cmp.Diff([]string{"sdtool -b", "sdtool -s"}, p.Calls(t)); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}
