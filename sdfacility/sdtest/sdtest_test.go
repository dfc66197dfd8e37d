package sdtest_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sfkvm/sfkvm/sdfacility"
	"github.com/sfkvm/sfkvm/sdfacility/sdtest"
)

func init() { sdtest.RunIfInstalled() }

// walk returns the (SA, Test, Init) words of one agent on each of n reads.
func walk(t *testing.T, r sdfacility.Runner, sdtool string, n int, node, agent string) []string {
	t.Helper()
	var out []string
	for range n {
		stdout, _, code, err := r.Run(t.Context(), sdtool, "-s")
		if err != nil || code != 0 {
			t.Fatalf("sdtool -s: code %d err %v", code, err)
		}
		st := sdfacility.ParseStatus(stdout)
		if len(st.Problems) != 0 {
			t.Fatalf("the fake's own table does not parse cleanly: %v\n%s", st.Problems, stdout)
		}
		for _, a := range st.Agents {
			if a.Node == node && a.Agent == agent {
				out = append(out, fmt.Sprintf("%s/%s/%s", a.SAState, a.TestState, a.InitState))
			}
		}
	}
	return out
}

func TestWalkThroughStates(t *testing.T) {
	cfg := sdtest.Config{
		Nodes:        []sdtest.Node{{Name: "n1", Agents: []string{"SA_ok", "SA_initfails", "SA_testfails"}}},
		ReadsPerStep: 2,
		InitFails:    []sdtest.AgentRef{{Node: "n1", Agent: "SA_initfails"}},
		TestFails:    []sdtest.AgentRef{{Node: "n1", Agent: "SA_testfails"}},
	}
	want := map[string][]string{
		"SA_ok":        {"Init-ing/Unknown/Init-ing", "Init-ing/Unknown/Init-ing", "Testing/Testing/InitWorked", "Testing/Testing/InitWorked", "Idle/TestWorked/InitWorked"},
		"SA_initfails": {"Init-ing/Unknown/Init-ing", "Init-ing/Unknown/Init-ing", "InitFailed/Unknown/InitFailed", "InitFailed/Unknown/InitFailed", "InitFailed/Unknown/InitFailed"},
		"SA_testfails": {"Init-ing/Unknown/Init-ing", "Init-ing/Unknown/Init-ing", "Testing/Testing/InitWorked", "Testing/Testing/InitWorked", "Idle/TestFailed/InitWorked"},
	}
	for agent, w := range want {
		sim := sdtest.New(cfg)
		if _, _, code, err := sim.Run(t.Context(), "sdtool", "-b"); code != 0 || err != nil {
			t.Fatalf("-b: %d %v", code, err)
		}
		if diff := cmp.Diff(w, walk(t, sim, "sdtool", 5, "n1", agent)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", agent, diff)
		}
	}
}

// The program keeps its state between processes: -b in one, the walk over
// the next reads, -e in another.
func TestProgramKeepsStateAcrossProcesses(t *testing.T) {
	p := sdtest.Install(t, sdtest.Config{Nodes: []sdtest.Node{{Name: "n1", Agents: []string{"SA_libvirtgp"}}}})
	run := func(args ...string) (string, int) {
		out, err := exec.Command(p.SDTool, args...).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	if out, code := run("-s"); code != 1 || !strings.Contains(out, "not running") {
		t.Errorf("-s before -b: %d %q", code, out)
	}
	if _, code := run("-b"); code != 0 {
		t.Errorf("-b: %d", code)
	}
	if got := walk(t, sdfacility.LocalRunner{}, p.SDTool, 3, "n1", "SA_libvirtgp"); got[2] != "Idle/TestWorked/InitWorked" {
		t.Errorf("walk %v", got)
	}
	if out, code := run("-b"); code != 1 || !strings.Contains(out, "already running") {
		t.Errorf("second -b: %d %q", code, out)
	}
	if _, code := run("-e"); code != 0 {
		t.Errorf("-e: %d", code)
	}
	want := []string{"sdtool -s", "sdtool -b", "sdtool -s", "sdtool -s", "sdtool -s", "sdtool -b", "sdtool -e"}
	if diff := cmp.Diff(want, p.Calls(t)); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestSimUnknownCommandIsMissing(t *testing.T) {
	_, _, code, err := sdtest.New(sdtest.Config{}).Run(t.Context(), "/usr/bin/true")
	if !errors.Is(err, sdfacility.ErrToolMissing) || code != -1 {
		t.Errorf("code %d err %v", code, err)
	}
}

// A simulated facility walks from Init-ing to TestWorked, one step per read.
func ExampleNew() {
	sim := sdtest.New(sdtest.Config{
		Nodes: []sdtest.Node{{Name: "cfguest11", Agents: []string{"SA_libvirtgp"}}},
	})
	ctx := context.Background()
	sim.Run(ctx, "/opt/SMAW/bin/sdtool", "-b")
	for range 3 {
		out, _, _, _ := sim.Run(ctx, "/opt/SMAW/bin/sdtool", "-s")
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		fmt.Println(lines[len(lines)-1])
	}
	fmt.Println(sim.Calls())
	// Output:
	// cfguest11       SA_libvirtgp  Init-ing      Unknown     Unknown     Init-ing
	// cfguest11       SA_libvirtgp  Testing       Unknown     Testing     InitWorked
	// cfguest11       SA_libvirtgp  Idle          Unknown     TestWorked  InitWorked
	// [sdtool -b sdtool -s sdtool -s sdtool -s]
}

// Install gives a test a fake sdtool program, for code that runs real
// processes (sdfacility.LocalRunner, a CLI). The test package must call
// sdtest.RunIfInstalled from an init function, as this file does. (A
// test, not an Example: Install needs a *testing.T.)
func TestInstallDrivesRealProcesses(t *testing.T) {
	p := sdtest.Install(t, sdtest.Config{
		Nodes:   []sdtest.Node{{Name: "cfguest11", Agents: []string{"SA_libvirtgp"}}},
		Running: true,
	})
	f := &sdfacility.Facility{SDTool: p.SDTool, PollInterval: 10 * time.Millisecond} // LocalRunner: real processes
	if _, err := f.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Calls(t), ", "); got != "sdtool -s, sdtool -e, sdtool -b, sdtool -s, sdtool -s, sdtool -s" {
		t.Errorf("calls: %s", got)
	}
}

// The fault modes of the program: sdtool -b that fails, or hangs after
// starting the daemon, and sdtool -s that exits non-zero after its table.
func TestProgramFaults(t *testing.T) {
	nodes := []sdtest.Node{{Name: "n1", Agents: []string{"SA_a"}}}
	run := func(p *sdtest.Program, ctx context.Context, arg string) (string, int, error) {
		stdout, stderr, code, err := sdfacility.LocalRunner{}.Run(ctx, p.SDTool, arg)
		return string(stdout) + string(stderr), code, err
	}
	p := sdtest.Install(t, sdtest.Config{Nodes: nodes, StartFails: true})
	if out, code, err := run(p, t.Context(), "-b"); code != 1 || err != nil || !strings.Contains(out, "failed to start") {
		t.Errorf("StartFails: -b %q %d %v", out, code, err)
	}
	if _, code, _ := run(p, t.Context(), "-s"); code != 1 {
		t.Errorf("StartFails: -s exit %d, want 1 (still down)", code)
	}
	p = sdtest.Install(t, sdtest.Config{Nodes: nodes, Running: true, StatusExit: 5})
	if out, code, err := run(p, t.Context(), "-s"); code != 5 || err != nil || !strings.Contains(out, "TestWorked") {
		t.Errorf("StatusExit: -s %q %d %v", out, code, err)
	}
	p = sdtest.Install(t, sdtest.Config{Nodes: nodes, StartHangs: true, HangAfterStart: true})
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	if _, code, err := run(p, ctx, "-b"); code != -1 || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("HangAfterStart: -b %d %v, want it killed at the deadline", code, err)
	}
	if out, code, _ := run(p, t.Context(), "-s"); code != 0 || !strings.Contains(out, "Init-ing") {
		t.Errorf("HangAfterStart: -s %q %d, want the starting table", out, code)
	}
}
