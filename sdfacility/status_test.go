package sdfacility_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sfkvm/sfkvm/diag"
	"github.com/sfkvm/sfkvm/sdfacility"
)

const readyTable = `Cluster Host    Agent         SA State      Shut State  Test State  Init State
------------    -----         --------      ----------  ----------  ----------
cfguest11       SA_libvirtgp  Idle          Unknown     TestWorked  InitWorked
cfguest11       SA_libvirtgr  Idle          Unknown     TestWorked  InitWorked
cfguest12       SA_vmchkhost  Idle          Unknown     TestWorked  InitWorked
`

func TestParseStatusReadsEveryRow(t *testing.T) {
	st := sdfacility.ParseStatus([]byte(readyTable))
	want := []sdfacility.AgentStatus{
		{Node: "cfguest11", Agent: "SA_libvirtgp", SAState: "Idle", ShutState: "Unknown", TestState: "TestWorked", InitState: "InitWorked", Line: 3},
		{Node: "cfguest11", Agent: "SA_libvirtgr", SAState: "Idle", ShutState: "Unknown", TestState: "TestWorked", InitState: "InitWorked", Line: 4},
		{Node: "cfguest12", Agent: "SA_vmchkhost", SAState: "Idle", ShutState: "Unknown", TestState: "TestWorked", InitState: "InitWorked", Line: 5},
	}
	if diff := cmp.Diff(want, st.Agents); diff != "" {
		t.Errorf("agents (-want +got):\n%s", diff)
	}
	if !st.Running || !st.Ready() || len(st.Problems) != 0 {
		t.Errorf("Running=%v Ready=%v Problems=%v, want true true none", st.Running, st.Ready(), st.Problems)
	}
	if st.Stdout != readyTable {
		t.Errorf("raw text not kept")
	}
}

// Names wider than their column push the later columns out of line with
// the header; rows are split on runs of spaces, so they still read right.
func TestParseStatusRowsWiderThanHeader(t *testing.T) {
	out := "Cluster Host    Agent         SA State      Shut State  Test State  Init State\n" +
		"------------    -----         --------      ----------  ----------  ----------\n" +
		"cfguest-with-a-long-name SA_libvirtgp_extra_wide Idle Unknown TestWorked InitWorked\n" +
		"n2\tSA_libvirtgr\t\tTesting   Unknown  Testing InitWorked\n"
	st := sdfacility.ParseStatus([]byte(out))
	if len(st.Agents) != 2 || len(st.Problems) != 0 {
		t.Fatalf("agents %v problems %v, want 2 agents and no problem", st.Agents, st.Problems)
	}
	if a := st.Agents[0]; a.Node != "cfguest-with-a-long-name" || a.Agent != "SA_libvirtgp_extra_wide" || a.InitState != sdfacility.InitInitWorked {
		t.Errorf("wide row read as %+v", a)
	}
	if a := st.Agents[1]; a.SAState != sdfacility.SATesting || a.Ready() {
		t.Errorf("tab-separated row read as %+v (Ready %v)", a, a.Ready())
	}
	if st.Ready() {
		t.Error("Ready with an agent still Testing")
	}
}

func TestParseStatusKeepsAndFlagsUnknownWords(t *testing.T) {
	out := readyTable + "cfguest12       SA_libvirtgp  Frobbing      Unknown     TestWorked  Half-Worked\n"
	st := sdfacility.ParseStatus([]byte(out))
	if len(st.Agents) != 4 {
		t.Fatalf("got %d agents, want 4: an unknown word must not drop its row", len(st.Agents))
	}
	a := st.Agents[3]
	if a.SAState != "Frobbing" || a.InitState != "Half-Worked" || a.SAState.IsKnown() || a.InitState.IsKnown() {
		t.Errorf("unknown words not kept verbatim: %+v", a)
	}
	if diff := cmp.Diff([]string{"SA State", "Init State"}, a.Unknown()); diff != "" {
		t.Errorf("Unknown() (-want +got):\n%s", diff)
	}
	var got []string
	for _, d := range st.Problems {
		got = append(got, d.Error())
	}
	want := []string{
		`sdtool -s:6:31: warning: unknown-state: SA State "Frobbing" is not a documented state; kept as printed`,
		`sdtool -s:6:69: warning: unknown-state: Init State "Half-Worked" is not a documented state; kept as printed`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if st.Ready() {
		t.Error("Ready although one agent's Init State is not InitWorked")
	}
}

func TestParseStatusReportsMalformedRowsByLine(t *testing.T) {
	out := readyTable + "cfguest13 SA_libvirtgp Idle Unknown\n\ncfguest14 SA_x Idle Unknown TestWorked InitWorked extra\n"
	st := sdfacility.ParseStatus([]byte(out))
	var lines []int
	for _, d := range st.Problems {
		if d.Code != "row-fields" || d.Severity != diag.Error {
			t.Errorf("unexpected problem %v", d)
		}
		lines = append(lines, d.Line)
	}
	if diff := cmp.Diff([]int{6, 8}, lines); diff != "" {
		t.Errorf("lines of malformed rows (-want +got):\n%s", diff)
	}
	if !st.Running || st.Ready() {
		t.Errorf("Running=%v Ready=%v; want running but not ready while rows are not understood", st.Running, st.Ready())
	}
	if !strings.Contains(st.Summary(), "2 row(s) not understood") {
		t.Errorf("Summary() = %q, want it to count the rows not understood", st.Summary())
	}
}

func TestParseStatusWithoutTable(t *testing.T) {
	for _, tc := range []struct {
		name, out string
		codes     []string
	}{
		{"empty", "", []string{"no-table"}},
		{"daemon down message", "sdtool: the shutdown daemon is not running\n", []string{"no-table"}},
		{"garbage", "\x1b[31m*** internal error\n\x00\xff ::: ???\n", []string{"no-table"}},
		{"header without rows", "Cluster Host    Agent   SA State\n-------\n\n", []string{"no-rows"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := sdfacility.ParseStatus([]byte(tc.out))
			var codes []string
			for _, d := range st.Problems {
				codes = append(codes, string(d.Code))
			}
			if diff := cmp.Diff(tc.codes, codes); diff != "" {
				t.Errorf("codes (-want +got):\n%s", diff)
			}
			if st.Running || st.Ready() || st.Stdout != tc.out {
				t.Errorf("Running=%v Ready=%v raw kept=%v; want not running, raw kept", st.Running, st.Ready(), st.Stdout == tc.out)
			}
		})
	}
}

func TestParseStatusTolerance(t *testing.T) {
	out := "warning: setlocale: LC_ALL: cannot change locale\n" +
		"Cluster  Host   Agent  SA State  Shut State  Test State  Init State\r\n" +
		"n1 SA_a Idle Unknown TestWorked InitWorked\r\n" +
		"n1 SA_a Idle Unknown TestWorked InitWorked\n"
	st := sdfacility.ParseStatus([]byte(out))
	var got []string
	for _, d := range st.Problems {
		got = append(got, string(d.Code)+"@"+string(rune('0'+d.Line)))
	}
	if diff := cmp.Diff([]string{"ignored-line@1", "no-dashes@3", "duplicate-row@4"}, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if len(st.Agents) != 2 || st.Agents[0].InitState != sdfacility.InitInitWorked {
		t.Errorf("agents %+v: a CR must not stick to the last word", st.Agents)
	}
}

func TestFirstFailureNamesNodeAndAgent(t *testing.T) {
	for _, tc := range []struct {
		row, column, word string
	}{
		{"n2 SA_libvirtgr Idle Unknown TestFailed InitWorked", "Test State", "TestFailed"},
		{"n2 SA_libvirtgr InitFailed Unknown Unknown InitFailed", "Init State", "InitFailed"},
		{"n2 SA_libvirtgr TestFailed Unknown Testing InitWorked", "SA State", "TestFailed"},
	} {
		st := sdfacility.ParseStatus([]byte(readyTable + tc.row + "\n"))
		err := st.FirstFailure()
		if err == nil {
			t.Fatalf("%s: no failure found", tc.row)
		}
		if err.Node != "n2" || err.Agent != "SA_libvirtgr" || err.Column != tc.column || err.State != tc.word {
			t.Errorf("%s: got %+v", tc.row, err)
		}
		if !errors.Is(err, sdfacility.ErrAgentFailed) || !strings.Contains(err.Error(), "SA_libvirtgr on node n2") {
			t.Errorf("error %q: predicate or wording wrong", err)
		}
	}
	if err := sdfacility.ParseStatus([]byte(readyTable)).FirstFailure(); err != nil {
		t.Errorf("ready table: unexpected failure %v", err)
	}
}

// A Status written as JSON (sfkvm sd --format=json) reads back the same.
func TestStatusJSONRoundTrip(t *testing.T) {
	st := sdfacility.ParseStatus([]byte(readyTable + "n9 SA_x Frobbing Unknown TestWorked InitWorked\nbad row\n"))
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"severity":"warning"`) || !strings.Contains(string(data), `"sa_state":"Frobbing"`) {
		t.Errorf("JSON %s", data)
	}
	var back sdfacility.Status
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(st, &back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if err := json.Unmarshal([]byte(`{"problems":[{"severity":"fatal"}]}`), &back); err == nil {
		t.Error("an unknown severity was accepted")
	}
}

// A row with a control or non-ASCII byte is skipped and reported: its
// words would otherwise reach tables and messages raw.
func TestParseStatusRefusesControlBytesInRows(t *testing.T) {
	out := readyTable + "cfguest13\x1b[2J SA_libvirtgp Idle Unknown TestWorked InitWorked\ncfguest14 SA_x Idle Unknown TestWorked Init\xffWorked\n"
	st := sdfacility.ParseStatus([]byte(out))
	var got []string
	for _, d := range st.Problems {
		got = append(got, d.Error())
	}
	want := []string{
		`sdtool -s:6:10: error: bad-char: byte 0x1b is not a printable ASCII character; row skipped: "cfguest13\x1b[2J SA_libvirtgp Idle Unknown TestWorked InitWorked"`,
		`sdtool -s:7:44: error: bad-char: byte 0xff is not a printable ASCII character; row skipped: "cfguest14 SA_x Idle Unknown TestWorked Init\xffWorked"`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if len(st.Agents) != 3 || st.Ready() {
		t.Errorf("%d agents, ready %v; want the 3 clean rows and not ready", len(st.Agents), st.Ready())
	}
	for _, a := range st.Agents {
		if strings.IndexByte(a.Node+a.Agent, 0x1b) >= 0 || strings.IndexByte(a.Node+a.Agent, 0xff) >= 0 {
			t.Errorf("agent %+v read from a bad row", a)
		}
	}
}
