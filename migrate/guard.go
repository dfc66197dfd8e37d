package migrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/sfkvm/sfkvm/internal/safefile"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/sdfacility"
)

// StateSchema is the schema of the guard's state file.
const StateSchema = "sfkvm.migrate-state/v1"

// State is what a guarded migration keeps on the host before its first
// change to a node, in StateDir/CLUSTER.state (0600, atomic): each node's
// cluster.config as it was, byte for byte, and the CF timeout that cfset
// -a showed. Recover reads it; Run removes it once every node is restored.
type State struct {
	Schema  string      `json:"schema"`
	Domain  string      `json:"domain"`
	Cluster string      `json:"cluster"`
	From    string      `json:"from"`
	To      string      `json:"to"`
	Started time.Time   `json:"started"`
	Nodes   []NodeState `json:"nodes"`
}

// NodeState is one node's values before the guard.
type NodeState struct {
	Guest  string `json:"guest"`
	CFName string `json:"cfname"`
	// ClusterConfig is the old cluster.config (base64 in JSON: its bytes,
	// whatever they are).
	ClusterConfig []byte `json:"cluster_config"`
	// Timeout is CLUSTER_TIMEOUT as cfset -a showed it ("": not listed).
	Timeout string `json:"timeout"`
}

// StatePath is where the state of a cluster's guarded migration is kept.
func StatePath(dir, cluster string) string { return filepath.Join(dir, cluster+".state") }

func writeState(path string, s State) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return safefile.WriteFile(path, append(b, '\n'))
}

// ReadState reads a cluster's guard state; errors.Is(err, os.ErrNotExist)
// when there is none (nothing to recover).
func ReadState(path string) (State, error) {
	f, err := safefile.OpenPrivate(path)
	if err != nil {
		return State{}, err
	}
	defer f.Close()
	var s State
	if err := json.NewDecoder(f).Decode(&s); err != nil {
		return State{}, fmt.Errorf("%s: %w", path, err)
	}
	if s.Schema != StateSchema {
		return State{}, fmt.Errorf("%s: schema %q, want %q", path, s.Schema, StateSchema)
	}
	return s, nil
}

// each runs f for 0..n-1 at once and waits: the manual wants cfset -r on
// every node "at about the same time".
func each(n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(i)
		}()
	}
	wg.Wait()
}

// guardBefore does the manual's before steps on every node (F.3.1, the
// manual form of sfkvmmigrate -p): sdtool -e; CLUSTER_TIMEOUT appended to
// cluster.config; cfset -r on every node at once; cfset -a shows the new
// value. done[i] says what was changed on node i, for the restore. It
// returns false at the first step that failed on any node.
func (s *session) guardBefore(ctx context.Context) bool {
	p := s.p
	want := strconv.Itoa(p.GuardTimeout)
	steps := []struct {
		id  string
		run func(ctx context.Context, i int) (string, error)
	}{
		{"guard.sdtool-e", func(ctx context.Context, i int) (string, error) {
			_, err := s.nodes[i].command(ctx, p.Tools.SDTool, "-e")
			return "shutdown facility stopped (sdtool -e)", err
		}},
		{"guard.timeout-file", func(ctx context.Context, i int) (string, error) {
			s.done[i].written = true
			err := s.nodes[i].do(ctx, func(n Node) error {
				return writeConfig(ctx, n, p.Tools, withTimeout(s.state.Nodes[i].ClusterConfig, p.GuardTimeout))
			})
			return fmt.Sprintf("CLUSTER_TIMEOUT \"%d\" appended to %s", p.GuardTimeout, p.Tools.ClusterConfig), err
		}},
		{"guard.cfset-r", func(ctx context.Context, i int) (string, error) {
			_, err := s.nodes[i].command(ctx, p.Tools.CFSet, "-r")
			return "cfset -r", err
		}},
		{"guard.cfset-a", func(ctx context.Context, i int) (string, error) {
			var v string
			err := s.nodes[i].do(ctx, func(n Node) (err error) {
				v, err = clusterTimeout(ctx, n, p.Tools)
				return err
			})
			if err == nil && v != want {
				err = fmt.Errorf("cfset -a shows CLUSTER_TIMEOUT %s, not %s", timeoutWord(v), want)
			}
			return "cfset -a shows CLUSTER_TIMEOUT " + want, err
		}},
	}
	for _, st := range steps {
		p.Log(st.id)
		rows := make([]Check, len(s.nodes))
		each(len(s.nodes), func(i int) {
			reason, err := st.run(ctx, i)
			rows[i] = Check{Stage: StageGuard, ID: st.id, Target: s.nodes[i].g.Name, Status: OK, Reason: reason}
			if err != nil {
				rows[i].Status, rows[i].Reason = Fail, errText(err)
				rows[i].Fix = "the after steps restore every node; see the restore rows"
			}
		})
		ok := true
		for _, c := range rows {
			s.r.add(c)
			ok = ok && c.Status == OK
		}
		if !ok {
			return false
		}
	}
	return true
}

// changes is what the before steps did on one node: written, its
// cluster.config may have been changed (then the restore writes and
// applies the old one).
type changes struct{ written bool }

// facilityRuns reports whether sdtool -s shows the facility running (a
// table, exit 0), whatever its agents' states.
func facilityRuns(ctx context.Context, c *conn, t Tools) bool {
	runs := false
	c.do(ctx, func(n Node) error {
		stdout, _, status, err := n.Run(ctx, t.SDTool, "-s")
		runs = err == nil && status == 0 && sdfacility.ParseStatus(stdout).Running
		return err
	})
	return runs
}

// guardAfter does the manual's after steps on every node, on a context of
// its own (the run's may be cancelled: a signal, a timeout): the old
// cluster.config back byte for byte, cfset -r on every node at once, cfset
// -a shows the old value, sdtool -b, sdtool -s ready. A node that fails a
// step skips its later steps and is named with the commands that finish
// it. It returns whether every node was restored.
func (s *session) guardAfter(parent context.Context) bool {
	p := s.p
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), p.RestoreTimeout)
	defer cancel()
	rows := make([]NodeRestore, len(s.nodes))
	for i, n := range s.nodes {
		rows[i] = NodeRestore{Guest: n.g.Name, CFName: n.g.CFName, Restored: true}
	}
	steps := []struct {
		id  string
		run func(i int) (string, error)
	}{
		{"restore.timeout-file", func(i int) (string, error) {
			if !s.done[i].written {
				return "unchanged: nothing was written", nil
			}
			err := s.nodes[i].do(ctx, func(n Node) error { return writeConfig(ctx, n, p.Tools, s.state.Nodes[i].ClusterConfig) })
			return p.Tools.ClusterConfig + " is the old one byte for byte (sha256 " + hashOf(s.state.Nodes[i].ClusterConfig)[:12] + ")", err
		}},
		{"restore.cfset-r", func(i int) (string, error) {
			if !s.done[i].written {
				return "not needed: the file was not changed", nil
			}
			_, err := s.nodes[i].command(ctx, p.Tools.CFSet, "-r")
			return "cfset -r", err
		}},
		{"restore.cfset-a", func(i int) (string, error) {
			var v string
			err := s.nodes[i].do(ctx, func(n Node) (err error) {
				v, err = clusterTimeout(ctx, n, p.Tools)
				return err
			})
			old := s.state.Nodes[i].Timeout
			if err == nil && v != old {
				err = fmt.Errorf("cfset -a shows CLUSTER_TIMEOUT %s, not the old %s", timeoutWord(v), timeoutWord(old))
			}
			return "cfset -a shows the old CLUSTER_TIMEOUT " + timeoutWord(old), err
		}},
		{"restore.sdtool-b", func(i int) (string, error) {
			// Asked, not assumed: a cancelled sdtool -e may not have run,
			// and sdtool -b refuses a facility that runs.
			if facilityRuns(ctx, s.nodes[i], p.Tools) {
				return "not needed: the facility runs", nil
			}
			_, err := s.nodes[i].command(ctx, p.Tools.SDTool, "-b")
			return "shutdown facility started (sdtool -b)", err
		}},
		{"restore.sdtool-s", func(i int) (string, error) {
			err := waitFor(ctx, p.Poll, p.RestoreTimeout, func() error {
				return s.nodes[i].do(ctx, func(n Node) error { return facilityReady(ctx, n, p.Tools) })
			})
			return "sdtool -s: every agent ready", err
		}},
	}
	for _, st := range steps {
		p.Log(st.id)
		checks := make([]*Check, len(s.nodes))
		each(len(s.nodes), func(i int) {
			if !rows[i].Restored {
				return
			}
			reason, err := st.run(i)
			c := &Check{Stage: StageRestore, ID: st.id, Target: s.nodes[i].g.Name, Status: OK, Reason: reason}
			checks[i] = c
			if err != nil {
				c.Status, c.Reason = Fail, errText(err)
				c.Fix = "sfkvm migrate --recover " + p.Domain + " (or by hand on " + s.nodes[i].g.Name + ": see the commands below)"
				rows[i].Restored, rows[i].Failed = false, st.id+": "+errText(err)
				rows[i].Commands = s.handCommands(i, st.id)
			}
		})
		for _, c := range checks {
			if c != nil {
				s.r.add(*c)
			}
		}
	}
	s.r.Restore = rows
	for _, row := range rows {
		if !row.Restored {
			return false
		}
	}
	return true
}

// handCommands are the commands that finish node i's restore by hand from
// the step that failed.
func (s *session) handCommands(i int, failed string) []string {
	t, old := s.p.Tools, s.state.Nodes[i].Timeout
	all := []struct{ id, cmd string }{
		{"restore.timeout-file", "put back " + t.ClusterConfig + " as it was (sha256 " + hashOf(s.state.Nodes[i].ClusterConfig) + ", kept in " + StatePath(s.p.StateDir, s.state.Cluster) + "): remove the line CLUSTER_TIMEOUT \"" + strconv.Itoa(s.p.GuardTimeout) + "\" that sfkvm appended"},
		{"restore.cfset-r", t.CFSet + " -r"},
		{"restore.cfset-a", t.CFSet + " -a   (CLUSTER_TIMEOUT must show " + timeoutWord(old) + ")"},
		{"restore.sdtool-b", t.SDTool + " -b"},
		{"restore.sdtool-s", t.SDTool + " -s   (every agent InitWorked and TestWorked)"},
	}
	var out []string
	from := false
	for _, c := range all {
		if c.id == failed {
			from = true
		}
		if from {
			out = append(out, c.cmd)
		}
	}
	return out
}

// waitFor calls f until it returns nil, for at most limit (and never past
// ctx); the error says what it waited for. The first retries come sooner
// than poll (poll/8, then doubling up to poll): a facility that is ready
// a moment after sdtool -b, or a guest that reads its new host at once,
// costs that moment and not a whole poll, while a slow one is asked no
// more often than every poll.
func waitFor(ctx context.Context, poll, limit time.Duration, f func() error) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	wait := max(poll/8, time.Millisecond)
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up after %s: %w", limit, err)
		case <-time.After(wait):
		}
		wait = min(2*wait, poll)
	}
}

// Recover finishes the restore of a guarded migration whose after steps
// did not complete (a node failed, sfkvm itself crashed), from the state
// file of the domain's cluster: on every node the old cluster.config,
// cfset -r, cfset -a, sdtool -b where the facility does not run, sdtool -s
// ready. The state file is removed once every node is restored.
func Recover(ctx context.Context, p Plan) *Report {
	p = p.withDefaults()
	start := p.Now()
	r := &Report{Schema: Schema, Domain: p.Domain, Guard: true, Outcome: Failed}
	defer func() { r.TotalSeconds = p.Now().Sub(start).Seconds() }()
	self, _, ok := p.cluster()
	if !ok {
		r.add(Check{Stage: StageBefore, ID: "domain.listed", Target: p.Domain, Status: Fail,
			Reason: "the domain is not a guest-name in kvmguests.conf", Fix: "give -f with the kvmguests.conf that lists it"})
		return r
	}
	r.Cluster = self.ClusterName
	unlock, err := lockCluster(p.StateDir, self.ClusterName)
	if err != nil {
		r.add(Check{Stage: StageBefore, ID: "cluster.lock", Target: self.ClusterName, Status: Fail, Reason: errText(err),
			Fix: "wait for the other sfkvm migrate or drill of this cluster to end"})
		return r
	}
	defer unlock()
	path := StatePath(p.StateDir, self.ClusterName)
	st, err := ReadState(path)
	if errors.Is(err, os.ErrNotExist) {
		r.Outcome = Restored
		r.add(Check{Stage: StageRestore, ID: "recover.state", Target: self.ClusterName, Status: OK, Reason: "nothing to recover: no " + path})
		return r
	} else if err != nil {
		r.add(Check{Stage: StageRestore, ID: "recover.state", Target: self.ClusterName, Status: Fail, Reason: errText(err),
			Fix: "the state file must be root's, 0600: check " + path})
		return r
	}
	s := &session{p: p, r: r, state: st}
	defer s.close()
	byName := map[string]kvmguests.Guest{}
	for _, g := range p.Guests {
		byName[g.Name] = g
	}
	for _, ns := range st.Nodes {
		g, ok := byName[ns.Guest]
		if !ok {
			r.add(Check{Stage: StageRestore, ID: "recover.listed", Target: ns.Guest, Status: Fail,
				Reason: "the node of the state file is not in kvmguests.conf", Fix: "give -f with the kvmguests.conf of the migration"})
			return r
		}
		s.nodes = append(s.nodes, &conn{g: g, login: p.Login})
		s.done = append(s.done, changes{written: true})
	}
	p.Log("lock")
	locks, locked := s.lockNodes(ctx, holderText(p, "sfkvm migrate --recover "+p.Domain), true)
	for i := range s.nodes {
		if c, ok := locks[i]; ok {
			r.add(c)
		}
	}
	if !locked {
		return r
	}
	r.From, r.To = st.From, st.To
	if s.guardAfter(ctx) {
		if err := os.Remove(path); err != nil {
			r.add(Check{Stage: StageRestore, ID: "recover.state", Target: self.ClusterName, Status: Fail, Reason: errText(err)})
			return r
		}
		r.Outcome = Restored
		r.add(Check{Stage: StageRestore, ID: "recover.state", Target: self.ClusterName, Status: OK, Reason: "every node restored; " + path + " removed"})
	} else {
		r.Recover = "sfkvm migrate --recover " + p.Domain
	}
	return r
}
