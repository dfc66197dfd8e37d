package migrate

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Schema is the JSON schema of a Report.
const Schema = "sfkvm.migrate/v1"

// Outcome is how a migration ended.
type Outcome string

const (
	// Migrated: moved and verified (every check after it held).
	Migrated Outcome = "migrated"
	// Refused: a check before it failed; nothing was changed (under Guard,
	// whatever the before steps changed was restored: see Restore).
	Refused Outcome = "refused"
	// Failed: the migration or a check after it failed; RunsOn says where
	// the guest runs.
	Failed Outcome = "failed"
	// Interrupted: the context ended (SIGINT, SIGTERM) before the end.
	Interrupted Outcome = "interrupted"
	// Restored: --recover finished every node's restore (Recover only).
	Restored Outcome = "restored"
)

// Status is one check's verdict.
type Status string

const (
	OK   Status = "OK"
	Fail Status = "FAIL"
	Skip Status = "SKIP"
)

// Stage is where in the run a check belongs.
type Stage string

const (
	StageBefore  Stage = "before"  // the refusals: nothing changed yet
	StageGuard   Stage = "guard"   // the manual's before steps (Guard)
	StageMigrate Stage = "migrate" // libvirt's migration
	StageRestore Stage = "restore" // the manual's after steps (Guard)
	StageVerify  Stage = "verify"  // asked afterwards
)

// Check is one row of the report.
type Check struct {
	Stage  Stage  `json:"stage"`
	ID     string `json:"check"`
	Target string `json:"target"`
	Status Status `json:"status"`
	Reason string `json:"reason"`
	Fix    string `json:"fix,omitempty"`
}

// NodeRestore is one node's after steps under Guard.
type NodeRestore struct {
	Guest  string `json:"guest"`
	CFName string `json:"cfname"`
	// Restored: cluster.config is the old one byte for byte, cfset -a
	// shows the old timeout, the facility is started and ready.
	Restored bool `json:"restored"`
	// Failed is the first step that failed, and Commands what to run on
	// the node to finish by hand (or sfkvm migrate --recover).
	Failed   string   `json:"failed,omitempty"`
	Commands []string `json:"commands,omitempty"`
}

// Report is what Run returns: every check in order, the outcome, where the
// guest runs, and the figures.
type Report struct {
	Schema  string  `json:"schema"`
	Domain  string  `json:"domain"`
	Cluster string  `json:"cluster"`
	From    string  `json:"from"`
	To      string  `json:"to"`
	Guard   bool    `json:"guard"`
	Outcome Outcome `json:"outcome"`
	// RunsOn is the host the guest runs on at the end, as the libvirts
	// answered ("" when neither could say: see the checks).
	RunsOn string  `json:"runs_on"`
	Checks []Check `json:"checks"`
	// Restore is each node's after steps (Guard only).
	Restore []NodeRestore `json:"restore,omitempty"`
	// Recover, when set, is the command that finishes a restore that did
	// not complete.
	Recover string `json:"recover,omitempty"`
	// MigrationSeconds and DowntimeSeconds are libvirt's figures of the
	// migration; ReadsNewHostSeconds the time from its end (the guest
	// resumed on the destination, libvirt's Finish) to the guest reading
	// the destination's registration; TotalSeconds the whole run.
	MigrationSeconds    *float64 `json:"migration_seconds,omitempty"`
	DowntimeSeconds     *float64 `json:"downtime_seconds,omitempty"`
	ReadsNewHostSeconds *float64 `json:"reads_new_host_seconds,omitempty"`
	TotalSeconds        float64  `json:"total_seconds"`

	mu sync.Mutex
}

func secs(d time.Duration) *float64 {
	s := d.Seconds()
	return &s
}

// add appends a check (safe from several goroutines).
func (r *Report) add(c Check) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Checks = append(r.Checks, c)
}

// Failed reports whether any check failed.
func (r *Report) Failed() bool {
	for _, c := range r.Checks {
		if c.Status == Fail {
			return true
		}
	}
	return false
}

// OK reports whether the guest moved and every check held.
func (r *Report) OK() bool { return r.Outcome == Migrated && !r.Failed() }

func fsecs(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.3f s", *p)
}

// WriteText writes the report as the CLI prints it: one line per check,
// then the restore, the figures and the outcome.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "migrate %s from %s to %s (cluster %s, %s)\n", r.Domain, r.From, r.To, r.Cluster, map[bool]string{true: "guarded", false: "not guarded"}[r.Guard])
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "%-4s %-8s %-22s %-14s %s\n", c.Status, c.Stage, c.ID, c.Target, c.Reason)
		if c.Fix != "" && c.Status == Fail {
			fmt.Fprintf(&b, "     fix: %s\n", c.Fix)
		}
	}
	for _, n := range r.Restore {
		if n.Restored {
			continue
		}
		fmt.Fprintf(&b, "NOT RESTORED %s (%s): %s; on it run:\n", n.Guest, n.CFName, n.Failed)
		for _, c := range n.Commands {
			fmt.Fprintf(&b, "  %s\n", c)
		}
	}
	if r.Recover != "" {
		fmt.Fprintf(&b, "to finish the restore: %s\n", r.Recover)
	}
	fmt.Fprintf(&b, "migration %s, downtime %s, the guest read its new host %s after it; total %.3f s\n",
		fsecs(r.MigrationSeconds), fsecs(r.DowntimeSeconds), fsecs(r.ReadsNewHostSeconds), r.TotalSeconds)
	switch {
	case r.Outcome == Restored:
		fmt.Fprintf(&b, "RESTORED: every node of cluster %s\n", r.Cluster)
	case r.Guard && r.From == "" && r.To == "":
		// Recover that did not finish: it moved nothing.
		fmt.Fprintf(&b, "%s: the restore of cluster %s is not finished\n", strings.ToUpper(string(r.Outcome)), r.Cluster)
	default:
		fmt.Fprintf(&b, "%s: %s runs on %s\n", strings.ToUpper(string(r.Outcome)), r.Domain, orUnknown(r.RunsOn))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
