package sdfacility

import (
	"context"
	"strings"

	"github.com/sfkvm/sfkvm/internal/namerule"
)

// DefaultCFTool is where this package looks for cftool. The manual runs
// plain "cftool"; PRIMECLUSTER puts its commands under /opt/SMAW/bin, but
// this path is not confirmed by a public source: set CFTool.Path if it
// differs.
const DefaultCFTool = "/opt/SMAW/bin/cftool"

// CFTool reads the local CF node name and the cluster name through cftool.
// The zero value runs DefaultCFTool on this machine.
type CFTool struct {
	Runner Runner // LocalRunner{} if nil
	Path   string // DefaultCFTool if empty
}

// LocalNodeName runs cftool -l on the runner's machine with the default
// path and returns the local CF node name.
func LocalNodeName(ctx context.Context, r Runner) (string, error) {
	return CFTool{Runner: r}.LocalNodeName(ctx)
}

// ClusterName runs cftool -c on the runner's machine with the default path
// and returns the cluster name.
func ClusterName(ctx context.Context, r Runner) (string, error) {
	return CFTool{Runner: r}.ClusterName(ctx)
}

// LocalNodeName runs cftool -l and parses it with [ParseLocalNodeName].
func (c CFTool) LocalNodeName(ctx context.Context) (string, error) {
	out, err := c.run(ctx, "-l")
	if err != nil {
		return "", err
	}
	return ParseLocalNodeName(out)
}

// ClusterName runs cftool -c and parses it with [ParseClusterName].
func (c CFTool) ClusterName(ctx context.Context) (string, error) {
	out, err := c.run(ctx, "-c")
	if err != nil {
		return "", err
	}
	return ParseClusterName(out)
}

func (c CFTool) run(ctx context.Context, arg string) ([]byte, error) {
	r, path := c.Runner, c.Path
	if r == nil {
		r = LocalRunner{}
	}
	if path == "" {
		path = DefaultCFTool
	}
	stdout, stderr, code, err := r.Run(ctx, path, arg)
	if err != nil || code != 0 {
		return nil, &CommandError{Command: path, Args: []string{arg}, ExitStatus: code, Stdout: stdout, Stderr: stderr, Err: err}
	}
	return stdout, nil
}

// ParseLocalNodeName reads the output of cftool -l. Its layout is not
// public; it is believed to be a header line (starting "Node") and one row
// that starts with the local CF node name, such as
//
//	Node    Number State       Os      Cpu
//	cfhost1 1      UP          Linux   EM64T
//
// Parsed tolerantly: blank lines are skipped, a first line whose first word
// is "Node" (any case) is the header, and the first word of the one row is
// the name. Without a header, a single line is taken as the row. Anything
// else (no row, several rows, a name outside [A-Za-z0-9_.-]) is refused
// with an *UnrecognisedError that keeps the raw text.
func ParseLocalNodeName(out []byte) (string, error) {
	lines := nonBlankLines(string(out))
	if len(lines) > 0 {
		if f := strings.Fields(lines[0]); strings.EqualFold(f[0], "Node") {
			lines = lines[1:]
		}
	}
	switch {
	case len(lines) == 0:
		return "", &UnrecognisedError{Command: "cftool -l", Raw: string(out), Reason: "no row after the header"}
	case len(lines) > 1:
		return "", &UnrecognisedError{Command: "cftool -l", Raw: string(out), Reason: "more than one row; the local node is the only one expected"}
	}
	name := strings.Fields(lines[0])[0]
	if !namerule.IsName(name) {
		return "", &UnrecognisedError{Command: "cftool -l", Raw: string(out), Reason: "first word is not a CF node name"}
	}
	return name, nil
}

// ParseClusterName reads the output of cftool -c, believed to be the
// cluster name alone on a line. Blank lines and surrounding space are
// skipped; anything but one word made of [A-Za-z0-9_.-] is refused with an
// *UnrecognisedError that keeps the raw text.
func ParseClusterName(out []byte) (string, error) {
	lines := nonBlankLines(string(out))
	if len(lines) != 1 {
		return "", &UnrecognisedError{Command: "cftool -c", Raw: string(out), Reason: "want exactly one non-blank line"}
	}
	f := strings.Fields(lines[0])
	if len(f) != 1 || !namerule.IsName(f[0]) {
		return "", &UnrecognisedError{Command: "cftool -c", Raw: string(out), Reason: "not a single cluster name"}
	}
	return f[0], nil
}

func nonBlankLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}
