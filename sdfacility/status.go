package sdfacility

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/sfkvm/sfkvm/diag"
)

// StatusSource is the file name that diagnostics about sdtool -s output
// carry: the output is not a file, so the command stands in for one.
const StatusSource = "sdtool -s"

// AgentStatus is one row of the sdtool -s table: one shutdown agent of one
// cluster node.
type AgentStatus struct {
	Node      string    `json:"node"`
	Agent     string    `json:"agent"`
	SAState   SAState   `json:"sa_state"`
	ShutState ShutState `json:"shut_state"`
	TestState TestState `json:"test_state"`
	InitState InitState `json:"init_state"`
	Line      int       `json:"line"` // line of the row in the raw output
}

// Ready reports whether the agent is initialised and tested: Init State
// InitWorked and Test State TestWorked.
func (a AgentStatus) Ready() bool {
	return a.InitState == InitInitWorked && a.TestState == TestTestWorked
}

// Failure reports whether the agent has failed its initialisation or its
// test, and in which column. The SA State column counts too: an agent whose
// current operation reads InitFailed or TestFailed has failed it.
func (a AgentStatus) Failure() (column, word string, failed bool) {
	switch {
	case a.InitState == InitInitFailed:
		return "Init State", string(a.InitState), true
	case a.TestState == TestTestFailed:
		return "Test State", string(a.TestState), true
	case a.SAState == SAInitFailed || a.SAState == SATestFailed:
		return "SA State", string(a.SAState), true
	}
	return "", "", false
}

// Unknown lists the columns whose word is not a documented state.
func (a AgentStatus) Unknown() []string {
	var cols []string
	if !a.SAState.IsKnown() {
		cols = append(cols, "SA State")
	}
	if !a.ShutState.IsKnown() {
		cols = append(cols, "Shut State")
	}
	if !a.TestState.IsKnown() {
		cols = append(cols, "Test State")
	}
	if !a.InitState.IsKnown() {
		cols = append(cols, "Init State")
	}
	return cols
}

// Status is what sdtool -s said. Stdout and Stderr keep the raw text, so
// that output this package did not understand can still be shown.
type Status struct {
	// Running is false when sdtool -s exited non-zero or printed no table
	// (no header line, or a header with no rows). A table read with a
	// non-zero exit keeps its Agents (see [StatusError]).
	Running    bool             `json:"running"`
	Agents     []AgentStatus    `json:"agents"`
	Problems   diag.Diagnostics `json:"problems,omitempty"`
	ExitStatus int              `json:"exit_status"`
	Stdout     string           `json:"stdout"`
	Stderr     string           `json:"stderr,omitempty"`
}

// Ready reports whether the facility runs, lists at least one agent, every
// row was understood, and every agent is Ready.
func (s *Status) Ready() bool {
	if s == nil || !s.Running || len(s.Agents) == 0 || s.Problems.HasErrors() {
		return false
	}
	for _, a := range s.Agents {
		if !a.Ready() {
			return false
		}
	}
	return true
}

// FirstFailure returns the first agent that failed its initialisation or
// its test, as an *AgentError, or nil.
func (s *Status) FirstFailure() *AgentError {
	if s == nil {
		return nil
	}
	for _, a := range s.Agents {
		if col, word, failed := a.Failure(); failed {
			return &AgentError{Node: a.Node, Agent: a.Agent, Column: col, State: word, Status: s}
		}
	}
	return nil
}

// Summary says in one line why the status is not ready (or that it is).
func (s *Status) Summary() string {
	switch {
	case s == nil:
		return "no status was read"
	case !s.Running && len(s.Agents) > 0:
		return fmt.Sprintf("not confirmed running: sdtool -s exited %d after printing its table", s.ExitStatus)
	case !s.Running:
		raw := strings.TrimSpace(s.Stdout + " " + s.Stderr)
		return fmt.Sprintf("not running (sdtool -s exit status %d: %s)", s.ExitStatus, excerpt(raw, 200))
	case len(s.Agents) == 0:
		return "no agent listed"
	}
	var waiting []string
	for _, a := range s.Agents {
		if !a.Ready() {
			waiting = append(waiting, fmt.Sprintf("%s/%s (SA %s, Test %s, Init %s)",
				a.Node, a.Agent, a.SAState, a.TestState, a.InitState))
		}
	}
	if errs := s.Problems.Errors(); len(errs) > 0 {
		waiting = append(waiting, fmt.Sprintf("%d row(s) not understood: %s", len(errs), errs[0]))
	}
	if len(waiting) == 0 {
		return "every agent is ready"
	}
	return "not ready: " + strings.Join(waiting, "; ")
}

// columnNames are the six columns of a row, in order, as the header names them.
var columnNames = [6]string{"Cluster Host", "Agent", "SA State", "Shut State", "Test State", "Init State"}

// ParseStatus reads the table that sdtool -s prints: a header line, a line
// of dashes, then one row per (node, agent) pair. Rows are split on runs of
// white space into six tokens, because names wider than their column (such
// as SA_libvirtgp) push the later columns out of line with the header.
//
// It never drops what it does not understand: lines before the header are
// reported (warning ignored-line), a row without six tokens is an error
// (row-fields) at its line, an unknown state word is kept verbatim and
// reported (warning unknown-state). With no table, Running is false. The
// exit status is the caller's to judge: see [Facility.Status].
func ParseStatus(stdout []byte) *Status {
	st := &Status{Stdout: string(stdout)}
	lines := strings.Split(string(bytes.TrimSuffix(stdout, []byte("\n"))), "\n")
	header := -1
	for i, line := range lines {
		if isStatusHeader(line) {
			header = i
			break
		}
	}
	if header < 0 {
		st.add(1, 1, "", CodeNoTable, diag.Warning, "no status table: no header line starting \"Cluster Host\" and naming \"Agent\"")
		return st
	}
	for i := 0; i < header; i++ {
		if strings.TrimSpace(lines[i]) != "" {
			st.add(i+1, 1, "", CodeIgnoredLine, diag.Warning, fmt.Sprintf("line before the table header ignored: %s", excerpt(lines[i], 80)))
		}
	}
	rows := 0
	seen := map[[2]string]int{}
	dashesExpected := true
	for i := header + 1; i < len(lines); i++ {
		line := strings.TrimSuffix(lines[i], "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if dashesExpected {
			dashesExpected = false
			if isDashes(line) {
				continue
			}
			st.add(i+1, 1, "", CodeNoDashes, diag.Warning, "no line of dashes under the header")
		}
		rows++
		// Words of a row reach messages and tables unquoted: a byte
		// that could steer a terminal never gets that far.
		if c, at, bad := badByte(line); bad {
			st.add(i+1, at+1, "", CodeBadChar, diag.Error, fmt.Sprintf("byte 0x%02x is not a printable ASCII character; row skipped: %s", c, excerpt(line, maxLineExcerpt)))
			continue
		}
		toks := fields(line)
		if len(toks) != 6 {
			st.add(i+1, 1, "", CodeRowFields, diag.Error, fmt.Sprintf("row has %d fields, want 6 (node, agent, SA state, shut state, test state, init state): %s", len(toks), excerpt(line, maxLineExcerpt)))
			continue
		}
		a := AgentStatus{
			Node: toks[0].text, Agent: toks[1].text,
			SAState: SAState(toks[2].text), ShutState: ShutState(toks[3].text),
			TestState: TestState(toks[4].text), InitState: InitState(toks[5].text),
			Line: i + 1,
		}
		known := [6]bool{true, true, a.SAState.IsKnown(), a.ShutState.IsKnown(), a.TestState.IsKnown(), a.InitState.IsKnown()}
		for c := 2; c < 6; c++ {
			if !known[c] {
				st.add(i+1, toks[c].col, columnNames[c], CodeUnknownState, diag.Warning, fmt.Sprintf("%s %q is not a documented state; kept as printed", columnNames[c], toks[c].text))
			}
		}
		key := [2]string{a.Node, a.Agent}
		if prev, dup := seen[key]; dup {
			st.add(i+1, 1, "", CodeDuplicateRow, diag.Warning, fmt.Sprintf("node %s agent %s listed again (first at line %d)", a.Node, a.Agent, prev))
		}
		seen[key] = i + 1
		st.Agents = append(st.Agents, a)
	}
	if rows == 0 {
		st.add(header+1, 1, "", CodeNoRows, diag.Warning, "status table has no rows")
		return st
	}
	st.Running = true
	return st
}

func (s *Status) add(line, col int, field string, code diag.Code, sev diag.Severity, msg string) {
	s.Problems = append(s.Problems, diag.Diagnostic{File: StatusSource, Line: line, Column: col, Field: field, Code: code, Severity: sev, Message: msg})
}

// isStatusHeader recognises the header tolerantly: it starts with the
// words "Cluster Host" and names the Agent column, however it is spaced.
func isStatusHeader(line string) bool {
	f := strings.Fields(line)
	if len(f) < 3 || f[0] != "Cluster" || f[1] != "Host" {
		return false
	}
	for _, w := range f[2:] {
		if w == "Agent" {
			return true
		}
	}
	return false
}

func isDashes(line string) bool {
	return strings.Trim(line, "- \t") == "" && strings.Contains(line, "-")
}

type token struct {
	text string
	col  int // 1-based byte column
}

// fields splits line on runs of spaces and tabs, keeping each token's column.
func fields(line string) []token {
	var toks []token
	start := -1
	for i := 0; i <= len(line); i++ {
		space := i == len(line) || line[i] == ' ' || line[i] == '\t' || line[i] == '\r'
		switch {
		case space && start >= 0:
			toks = append(toks, token{text: line[start:i], col: start + 1})
			start = -1
		case !space && start < 0:
			start = i
		}
	}
	return toks
}

// badByte finds the first byte of line outside printable ASCII (tabs
// allowed).
func badByte(line string) (c byte, at int, bad bool) {
	for i := 0; i < len(line); i++ {
		if c := line[i]; c < 0x20 && c != '\t' || c >= 0x7f {
			return c, i, true
		}
	}
	return 0, 0, false
}
