package sdfacility

import (
	"strconv"
	"strings"

	"github.com/sfkvm/sfkvm/internal/namerule"
)

// NodeState is one row of `cftool -n`: a CF node of the cluster and its
// state as CF sees it from the node that ran the command.
type NodeState struct {
	Name   string `json:"name"`
	Number int    `json:"number"`
	// State is the word cftool printed: UP, DOWN, LEFTCLUSTER, or another
	// that this package does not know (kept as printed).
	State string `json:"state"`
}

// Up reports whether CF sees the node UP.
func (n NodeState) Up() bool { return n.State == "UP" }

// ParseNodes reads the output of `cftool -n`, a header line starting
// "Node" and one row per CF node of the cluster:
//
//	Node        Number State       Os      Cpu
//	fuji2       1      UP          Linux   EM64T
//	fuji3       2      LEFTCLUSTER Linux   EM64T
//
// The manual names the states (UP, DOWN, LEFTCLUSTER); the columns past
// State are not read. Parsed tolerantly, as the other cftool outputs:
// blank lines are skipped; each row needs a CF node name, a number and a
// state word. Anything else (no rows, a row that does not read so) is an
// *UnrecognisedError that keeps the raw text.
func ParseNodes(out []byte) ([]NodeState, error) {
	lines := nonBlankLines(string(out))
	if len(lines) > 0 {
		if f := strings.Fields(lines[0]); strings.EqualFold(f[0], "Node") {
			lines = lines[1:]
		}
	}
	if len(lines) == 0 {
		return nil, &UnrecognisedError{Command: "cftool -n", Raw: string(out), Reason: "no node rows"}
	}
	nodes := make([]NodeState, 0, len(lines))
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 3 || !namerule.IsName(f[0]) {
			return nil, &UnrecognisedError{Command: "cftool -n", Raw: string(out), Reason: "a row is not NAME NUMBER STATE: " + Excerpt([]byte(l))}
		}
		n, err := strconv.Atoi(f[1])
		if err != nil || n < 0 || strings.Trim(f[2], "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != "" {
			return nil, &UnrecognisedError{Command: "cftool -n", Raw: string(out), Reason: "a row is not NAME NUMBER STATE: " + Excerpt([]byte(l))}
		}
		nodes = append(nodes, NodeState{Name: f[0], Number: n, State: f[2]})
	}
	return nodes, nil
}
