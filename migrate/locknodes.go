package migrate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/sfkvm/sfkvm/internal/namerule"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// NodeLockDir is where each node keeps its cluster's lock: /run, root's
// alone (no other user can make, replace or hold the file) and emptied at
// boot.
const NodeLockDir = "/run"

// NodeLockPath is the file of a cluster's lock on its nodes:
// /run/sfkvm-migrate-CLUSTER.lock, or, for a cluster name outside
// [A-Za-z0-9_.-] or longer than 64 bytes, the name's SHA-256 in its place
// (the same on every host: they read the same kvmguests.conf name).
func NodeLockPath(cluster string) string {
	name := cluster
	if !namerule.IsName(cluster) || len(cluster) > 64 {
		h := sha256.Sum256([]byte(cluster))
		name = "sha256-" + hex.EncodeToString(h[:16])
	}
	return NodeLockDir + "/sfkvm-migrate-" + name + ".lock"
}

// lockReady is the line the lock script prints once it holds the lock.
const lockReady = "SFKVM-LOCKED"

// Exit statuses of the lock script.
const (
	lockBusy    = 75  // EX_TEMPFAIL: another holds it
	lockNoFlock = 127 // the shell's "not found": no flock(1) on the node
)

// lockScript takes the cluster's lock on a node (sh -c lockScript sh
// FILE HOLDER), without waiting: flock(1) on FILE through fd 9, HOLDER
// written into the file, SFKVM-LOCKED printed, then cat, which keeps fd 9
// and so the lock, reads stdin until its end. sfkvm keeps stdin open for
// the whole run; the end of the run, of sfkvm (however it ends: the
// kernel closes its connection) or of the SSH connection ends stdin, cat,
// and the lock with it. A node without flock(1) exits 127; a lock held by
// another exits 75 after printing its holder on stderr.
const lockScript = `f=$1 who=$2
command -v flock >/dev/null 2>&1 || { echo "flock: not found (util-linux's flock(1))" >&2; exit 127; }
exec 9>>"$f" || exit 3
flock -n 9
s=$?
if [ "$s" -eq 1 ]; then printf 'held by %s\n' "$(head -c 300 -- "$f" | tr -d '\n')" >&2; exit 75; fi
[ "$s" -eq 0 ] || exit "$s"
printf '%s\n' "$who" > "$f"
echo ` + lockReady + `
exec cat >/dev/null
`

// LockScript is the shell script that takes a cluster's lock on a node
// (sh -c LockScript sh FILE HOLDER; see NodeLockPath): exported for the
// simulated guests of tests, which answer it in kind (SFKVM-LOCKED, then
// held until the end of stdin; exit 75 when held by another, 127 without
// flock(1)).
const LockScript = lockScript

// holderText is what a node's lock file says of its holder, for the
// refusal of another run: what runs, from where, since when.
func holderText(p Plan, what string) string {
	s := fmt.Sprintf("%s on %s (pid %d, since %s)", what, p.From, os.Getpid(), p.Now().UTC().Format(time.RFC3339))
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// lockNodes takes the cluster's lock on each node and keeps the holds in
// s.held until s.close. The first node in the order of guest names (the
// same on every host) is taken alone, then the others at once: a run holds
// any node only while it holds the first, so of two runs the one that
// took the first goes on and the other is refused there, and a cluster of
// n nodes costs two round trips, not n. It returns a row per node tried,
// by index of s.nodes, and whether every node is held; at a refusal it
// lets go of those it took. With skipDown (Recover) a node that cannot be
// logged in is skipped, not a refusal (the next one is then the first):
// its restore fails anyway and is named, and the others' should not wait
// for it.
func (s *session) lockNodes(ctx context.Context, holder string, skipDown bool) (rows map[int]Check, ok bool) {
	order := make([]int, len(s.nodes))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(s.nodes[a].g.Name, s.nodes[b].g.Name) })
	rows = map[int]Check{}
	held := make([]*sshcheck.Held, len(s.nodes))
	for k, i := range order {
		rows[i], held[i] = s.lockNode(ctx, s.nodes[i], holder, skipDown)
		if rows[i].Status == Fail {
			return rows, false
		}
		if held[i] != nil {
			s.held = append(s.held, held[i])
			order = order[k+1:]
			break
		}
		if k == len(order)-1 {
			return rows, true // every node skipped
		}
	}
	got := make([]Check, len(order))
	each(len(order), func(k int) { got[k], held[order[k]] = s.lockNode(ctx, s.nodes[order[k]], holder, skipDown) })
	ok = true
	for k, i := range order {
		rows[i] = got[k]
		if held[i] != nil {
			s.held = append(s.held, held[i])
		}
		ok = ok && got[k].Status != Fail
	}
	if !ok {
		s.releaseNodes()
	}
	return rows, ok
}

// lockNode takes the cluster's lock on one node: its row, and the hold
// when it is taken.
func (s *session) lockNode(ctx context.Context, c *conn, holder string, skipDown bool) (Check, *sshcheck.Held) {
	cluster := s.r.Cluster
	path := NodeLockPath(cluster)
	if _, err := c.node(ctx); err != nil && skipDown {
		return Check{Stage: StageBefore, ID: "node.lock", Target: c.g.Name, Status: Skip,
			Reason: "not taken: the node does not log in (" + errText(err) + ")"}, nil
	}
	var h *sshcheck.Held
	var stderr []byte
	var status int
	err := c.do(ctx, func(n Node) (err error) {
		h, _, stderr, status, err = n.Hold(ctx, lockReady, "sh", "-c", lockScript, "sh", path, holder)
		return err
	})
	row := Check{Stage: StageBefore, ID: "node.lock", Target: c.g.Name, Status: OK,
		Reason: "holds " + path + " (flock) for this run"}
	if h != nil {
		return row, h
	}
	row.Status = Fail
	said := sshcheck.QuoteRemote(bytes.TrimSpace(stderr))
	switch {
	case err != nil:
		row.Reason = "taking " + path + ": " + errText(err)
		row.Fix = "the node must run sh -c with flock(1) as root (or through sudo -n) within the SSH command timeout; sfkvm probe"
	case status == lockBusy:
		by := sshcheck.QuoteRemote(bytes.TrimPrefix(bytes.TrimSpace(stderr), []byte("held by ")))
		row.Reason = fmt.Sprintf("%v: %s is held on this node by %s", ErrBusy, path, by)
		row.Fix = "wait for that sfkvm migrate or drill of cluster " + cluster + " to end (it runs on the host it names), then run again; " +
			"a holder that died leaves nothing: the lock ends with its SSH connection"
	case status == lockNoFlock:
		row.Reason = "the node has no flock(1), which holds the cluster's lock there (" + said + ")"
		row.Fix = "install util-linux on " + c.g.Name + " (it has flock); sfkvm refuses to migrate a cluster it cannot lock"
	default:
		row.Reason = fmt.Sprintf("taking %s exited %d: %s", path, status, said)
		row.Fix = "on " + c.g.Name + ": " + NodeLockDir + " must be writable by root and flock(1) work"
	}
	return row, nil
}

// releaseNodes lets go of the nodes' locks: the others at once, then the
// first (a run holds any node only while it holds the first).
func (s *session) releaseNodes() {
	if len(s.held) == 0 {
		return
	}
	// Their errors are not the run's: a lock ends with its session anyway.
	rest := s.held[1:]
	each(len(rest), func(i int) { rest[i].Release() })
	s.held[0].Release()
	s.held = nil
}
