package migrate

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/sfkvm/sfkvm/sdfacility"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// Errors that callers tell apart with errors.Is.
var (
	// ErrBusy: another sfkvm migration of the same cluster holds its lock.
	ErrBusy = errors.New("another sfkvm migration of this cluster is under way")
	// ErrNotWhole: a node is not UP or an agent not ready.
	ErrNotWhole = errors.New("the cluster is not whole")
)

// command runs one command on a node; a non-zero exit is an error that
// keeps the exit status and stderr.
func command(ctx context.Context, n Node, name string, args ...string) ([]byte, error) {
	stdout, stderr, status, err := n.Run(ctx, name, args...)
	line, _ := sshcheck.QuoteCommand(name, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", line, err)
	}
	if status != 0 {
		return stdout, fmt.Errorf("%s exited %d: %s", line, status, strings.TrimSpace(sshcheck.QuoteRemote(stderr)))
	}
	return stdout, nil
}

// nodesUp runs cftool -n on a node: every row UP, and every CF node of
// kvmguests.conf's cluster listed.
func nodesUp(ctx context.Context, n Node, t Tools, want []string) error {
	out, err := command(ctx, n, t.CFTool, "-n")
	if err != nil {
		return err
	}
	nodes, err := sdfacility.ParseNodes(out)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	var bad []string
	for _, s := range nodes {
		seen[s.Name] = true
		if !s.Up() {
			bad = append(bad, s.Name+" "+s.State)
		}
	}
	for _, w := range want {
		if !seen[w] {
			bad = append(bad, w+" not listed")
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: cftool -n: %s", ErrNotWhole, strings.Join(bad, ", "))
	}
	return nil
}

// facilityReady runs sdtool -s on a node: it exits 0 and every agent is
// ready (initialised, tested).
func facilityReady(ctx context.Context, n Node, t Tools) error {
	stdout, stderr, status, err := n.Run(ctx, t.SDTool, "-s")
	if err != nil {
		return fmt.Errorf("sdtool -s: %w", err)
	}
	st := sdfacility.ParseStatus(stdout)
	if status != 0 {
		return fmt.Errorf("%w: sdtool -s exited %d: %s", ErrNotWhole, status, strings.TrimSpace(sshcheck.QuoteRemote(append(stderr, stdout...))))
	}
	if !st.Ready() {
		return fmt.Errorf("%w: sdtool -s: %s", ErrNotWhole, st.Summary())
	}
	return nil
}

// readConfig returns the node's cluster.config as it is.
func readConfig(ctx context.Context, n Node, t Tools) ([]byte, error) {
	return command(ctx, n, "cat", "--", t.ClusterConfig)
}

// writeScript replaces the file $1 with stdin, whose SHA-256 must be $2:
// a temporary file in the same folder (umask 077), written and synced by
// dd, its hash checked (a copy cut short is never renamed into place),
// given the old file's owner and mode, renamed over it (atomic within one
// folder), the folder synced; it prints the SHA-256 of the file in place.
// Any failure removes the temporary file and leaves the old one.
const writeScript = `f=$1 h=$2
d=$(dirname -- "$f") n=$(basename -- "$f")
umask 077
t=$(mktemp "$d/.$n.sfkvm.XXXXXX") || exit 3
trap 'rm -f "$t"' EXIT
trap 'exit 129' HUP INT TERM PIPE
dd of="$t" conv=fsync status=none || exit 4
s=$(sha256sum < "$t") || exit 4
s=${s%% *}
if [ "$s" != "$h" ]; then echo "the copy received differs from the one sent (sha256 $s)" >&2; exit 6; fi
if [ -e "$f" ]; then chown --reference="$f" "$t" && chmod --reference="$f" "$t" || exit 7; else chmod 644 "$t"; fi
mv -f -- "$t" "$f" || exit 8
sync -- "$d" 2>/dev/null || sync
s=$(sha256sum < "$f") && echo "${s%% *}"
`

// WriteScript is the shell script that replaces a node's cluster.config
// atomically (sh -c WriteScript sh FILE SHA256, the new content on
// stdin): exported for the simulated guests of tests.
const WriteScript = writeScript

func hashOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// writeConfig replaces the node's cluster.config with data and proves it
// by the hash of the file in place.
func writeConfig(ctx context.Context, n Node, t Tools, data []byte) error {
	h := hashOf(data)
	stdout, stderr, status, err := n.RunInput(ctx, data, "sh", "-c", writeScript, "sh", t.ClusterConfig, h)
	if err != nil {
		return fmt.Errorf("writing %s: %w", t.ClusterConfig, err)
	}
	if status != 0 {
		return fmt.Errorf("writing %s exited %d: %s", t.ClusterConfig, status, strings.TrimSpace(sshcheck.QuoteRemote(stderr)))
	}
	if got := strings.TrimSpace(string(stdout)); got != h {
		return fmt.Errorf("writing %s: the file read back has sha256 %s, not %s", t.ClusterConfig, sshcheck.QuoteRemote([]byte(got)), h)
	}
	return nil
}

// withTimeout returns cluster.config with the guard's line appended, as
// the manual does (the old content stays; the last CLUSTER_TIMEOUT wins).
func withTimeout(old []byte, seconds int) []byte {
	b := bytes.Clone(old)
	if len(b) > 0 && b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	return append(b, guardLine(seconds)...)
}

// guardLine is the line the guard appends.
func guardLine(seconds int) []byte { return fmt.Appendf(nil, "CLUSTER_TIMEOUT \"%d\"\n", seconds) }

// clusterTimeout runs cfset -a and returns CLUSTER_TIMEOUT's value as CF
// has it loaded ("" when cfset -a does not list it: CF's default).
// The line reads `... KEY: CLUSTER_TIMEOUT VALUE: 600`.
func clusterTimeout(ctx context.Context, n Node, t Tools) (string, error) {
	out, err := command(ctx, n, t.CFSet, "-a")
	if err != nil {
		return "", err
	}
	value := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		for i := 0; i+3 < len(f); i++ {
			if f[i] == "KEY:" && f[i+1] == "CLUSTER_TIMEOUT" && f[i+2] == "VALUE:" {
				value = strings.Trim(f[i+3], `"`)
			}
		}
	}
	return value, nil
}

// timeoutWord is a cfset -a value as the report says it.
func timeoutWord(v string) string {
	if v == "" {
		return "not listed (CF's default)"
	}
	return v
}
