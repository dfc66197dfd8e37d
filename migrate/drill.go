package migrate

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// DrillSchema is the JSON schema of a DrillReport.
const DrillSchema = "sfkvm.drill/v1"

// DrillReport is a drill: one leg per migration, in order, up to the
// first that did not end Migrated.
type DrillReport struct {
	Schema string `json:"schema"`
	Domain string `json:"domain"`
	Home   string `json:"home"`
	// OK: every leg migrated and verified, and the guest is home again.
	OK bool `json:"ok"`
	// RunsOn is where the guest runs at the end ("" unknown).
	RunsOn string    `json:"runs_on"`
	Legs   []*Report `json:"legs"`
}

// Drill migrates the guest of p (p.From is its home) to each of hosts in
// turn and back home, each leg a Run with the same plan, and stops at the
// first leg that is not Migrated, saying where the guest runs.
func Drill(ctx context.Context, p Plan, hosts []string) *DrillReport {
	d := &DrillReport{Schema: DrillSchema, Domain: p.Domain, Home: p.From, RunsOn: p.From}
	for _, h := range hosts {
		for _, leg := range [][2]string{{d.Home, h}, {h, d.Home}} {
			q := p
			q.From, q.To = leg[0], leg[1]
			r := Run(ctx, q)
			d.Legs = append(d.Legs, r)
			d.RunsOn = r.RunsOn
			if r.Outcome != Migrated {
				return d
			}
		}
	}
	d.OK = d.RunsOn == d.Home
	return d
}

// WriteText writes the drill as one table, a row per leg, then each
// failed leg's failed checks and where the guest runs.
func (d *DrillReport) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "drill %s, home %s\n", d.Domain, d.Home)
	fmt.Fprintf(&b, "%-4s %-16s %-16s %-12s %-11s %-10s %-10s %s\n", "LEG", "FROM", "TO", "OUTCOME", "MIGRATION", "DOWNTIME", "READS", "RUNS ON")
	for i, r := range d.Legs {
		fmt.Fprintf(&b, "%-4d %-16s %-16s %-12s %-11s %-10s %-10s %s\n", i+1, r.From, r.To, r.Outcome,
			fsecs(r.MigrationSeconds), fsecs(r.DowntimeSeconds), fsecs(r.ReadsNewHostSeconds), orUnknown(r.RunsOn))
	}
	for i, r := range d.Legs {
		for _, c := range r.Checks {
			if c.Status == Fail {
				fmt.Fprintf(&b, "leg %d: FAIL %s %s %s: %s\n", i+1, c.Stage, c.ID, c.Target, c.Reason)
				if c.Fix != "" {
					fmt.Fprintf(&b, "        fix: %s\n", c.Fix)
				}
			}
		}
		if r.Recover != "" {
			fmt.Fprintf(&b, "leg %d: to finish the restore: %s\n", i+1, r.Recover)
		}
	}
	verdict := "OK"
	if !d.OK {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "%s: %s runs on %s\n", verdict, d.Domain, orUnknown(d.RunsOn))
	_, err := io.WriteString(w, b.String())
	return err
}

func orUnknown(s string) string {
	if s == "" {
		return "UNKNOWN (see the checks)"
	}
	return s
}
