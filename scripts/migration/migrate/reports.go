package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sfkvm/sfkvm/migrate"
	"github.com/sfkvm/sfkvm/migratesetup"
)

// drillCheck reads an `sfkvm drill --format json` report and fails unless
// it is the drill the test ran: -legs legs, home to -other and back in
// turn, each migrated with every check held, the drill ok and the guest
// on -home at the end. It prints one line per leg for the test's output.
func drillCheck(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("drillcheck", flag.ContinueOnError)
	home := fs.String("home", "", "the home host as the report names it (its CF name)")
	other := fs.String("other", "", "the host the guest visits, as --hosts named it")
	legs := fs.Int("legs", 2, "the legs the drill must have")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *home == "" || *other == "" || fs.NArg() != 1 {
		return errors.New("usage: migrate drillcheck -home CFNAME -other HOST [-legs N] DRILL.json")
	}
	var d migrate.DrillReport
	if err := readJSON(fs.Arg(0), &d); err != nil {
		return err
	}
	var bad []string
	if d.Schema != migrate.DrillSchema {
		bad = append(bad, fmt.Sprintf("schema %q, not %q", d.Schema, migrate.DrillSchema))
	}
	if d.Home != *home {
		bad = append(bad, fmt.Sprintf("home %q, not %q", d.Home, *home))
	}
	if len(d.Legs) != *legs {
		bad = append(bad, fmt.Sprintf("%d legs, not %d", len(d.Legs), *legs))
	}
	for i, r := range d.Legs {
		from, to := *home, *other
		if i%2 == 1 {
			from, to = to, from
		}
		if r == nil {
			bad = append(bad, fmt.Sprintf("leg %d: null", i+1))
			continue
		}
		if r.Schema != migrate.Schema || r.From != from || r.To != to {
			bad = append(bad, fmt.Sprintf("leg %d: %s from %q to %q, not %s from %q to %q", i+1, r.Schema, r.From, r.To, migrate.Schema, from, to))
		}
		if !r.OK() || r.RunsOn != to || r.MigrationSeconds == nil || r.ReadsNewHostSeconds == nil {
			bad = append(bad, fmt.Sprintf("leg %d: outcome %s, runs on %q, failed checks: %s", i+1, r.Outcome, r.RunsOn, failedChecks(r)))
			continue
		}
		fmt.Fprintf(w, "leg %d: %s -> %s migrated in %.3f s, read the new host %.3f s later, %.3f s in all\n",
			i+1, r.From, r.To, *r.MigrationSeconds, *r.ReadsNewHostSeconds, r.TotalSeconds)
	}
	if !d.OK || d.RunsOn != *home {
		bad = append(bad, fmt.Sprintf("ok %v, runs on %q (home %q)", d.OK, d.RunsOn, *home))
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s: not the drill that was run: %s", fs.Arg(0), strings.Join(bad, "; "))
	}
	return nil
}

// stallCheck reads the `sfkvm migrate --format json` report of a
// migration whose destination stopped taking the stream, and fails
// unless sfkvm's no-progress watchdog aborted it: outcome failed, the
// migration's check failed for the stall (ErrMigrationStalled's words),
// the guest on -source, and under --guard every node restored with
// nothing left for --recover. It prints the stall's reason.
func stallCheck(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("stallcheck", flag.ContinueOnError)
	source := fs.String("source", "", "the source host as the report names it (its CF name)")
	nodes := fs.Int("nodes", 0, "with a guarded run: the cluster's nodes, each of which must be restored")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *source == "" || fs.NArg() != 1 {
		return errors.New("usage: migrate stallcheck -source CFNAME [-nodes N] REPORT.json")
	}
	var r migrate.Report
	if err := readJSON(fs.Arg(0), &r); err != nil {
		return err
	}
	var bad []string
	if r.Schema != migrate.Schema || r.Outcome != migrate.Failed {
		bad = append(bad, fmt.Sprintf("%s, outcome %q, not %s, %q", r.Schema, r.Outcome, migrate.Schema, migrate.Failed))
	}
	if r.RunsOn != *source {
		bad = append(bad, fmt.Sprintf("runs on %q, not the source %q", r.RunsOn, *source))
	}
	stall := ""
	for _, c := range r.Checks {
		if c.Status != migrate.Fail {
			continue
		}
		if c.Stage == migrate.StageMigrate && c.ID == "migrate.libvirt" && strings.Contains(c.Reason, migratesetup.ErrMigrationStalled.Error()) {
			stall = c.Reason
			continue
		}
		bad = append(bad, fmt.Sprintf("another check failed: %s %s %s: %s", c.Stage, c.ID, c.Target, c.Reason))
	}
	if stall == "" {
		bad = append(bad, fmt.Sprintf("no failed migrate.libvirt check saying %q", migratesetup.ErrMigrationStalled))
	}
	if *nodes > 0 {
		if !r.Guard || len(r.Restore) != *nodes || r.Recover != "" {
			bad = append(bad, fmt.Sprintf("guard %v, %d restore rows (not %d), recover %q", r.Guard, len(r.Restore), *nodes, r.Recover))
		}
		for _, n := range r.Restore {
			if !n.Restored {
				bad = append(bad, fmt.Sprintf("node %s not restored (%s)", n.CFName, n.Failed))
			}
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s: not a stall aborted with the guest left on %s: %s", fs.Arg(0), *source, strings.Join(bad, "; "))
	}
	fmt.Fprintf(w, "%s\n", stall)
	return nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func failedChecks(r *migrate.Report) string {
	var s []string
	for _, c := range r.Checks {
		if c.Status == migrate.Fail {
			s = append(s, fmt.Sprintf("%s %s: %s", c.ID, c.Target, c.Reason))
		}
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, "; ")
}
