package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/migrate"
	"github.com/sfkvm/sfkvm/migratesetup"
)

func writeReport(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func f64(v float64) *float64 { return &v }

func leg(from, to string) *migrate.Report {
	return &migrate.Report{Schema: migrate.Schema, Domain: "g", From: from, To: to, Outcome: migrate.Migrated, RunsOn: to,
		Checks:           []migrate.Check{{Stage: migrate.StageMigrate, ID: "migrate.libvirt", Target: "g", Status: migrate.OK}},
		MigrationSeconds: f64(1.1), ReadsNewHostSeconds: f64(0.2), TotalSeconds: 2}
}

func goodDrill() *migrate.DrillReport {
	return &migrate.DrillReport{Schema: migrate.DrillSchema, Domain: "g", Home: "cfhostA", OK: true, RunsOn: "cfhostA",
		Legs: []*migrate.Report{leg("cfhostA", "10.77.0.2"), leg("10.77.0.2", "cfhostA")}}
}

func TestDrillCheck(t *testing.T) {
	args := func(path string) []string { return []string{"-home", "cfhostA", "-other", "10.77.0.2", path} }
	var out strings.Builder
	if err := drillCheck(args(writeReport(t, goodDrill())), &out); err != nil {
		t.Fatalf("a good drill: %v", err)
	}
	if !strings.Contains(out.String(), "leg 1: cfhostA -> 10.77.0.2 migrated in 1.100 s") || !strings.Contains(out.String(), "leg 2: 10.77.0.2 -> cfhostA") {
		t.Errorf("output:\n%s", out.String())
	}
	for _, c := range []struct {
		name, want string
		edit       func(d *migrate.DrillReport)
	}{
		{"one leg", "1 legs, not 2", func(d *migrate.DrillReport) { d.Legs = d.Legs[:1]; d.RunsOn = "10.77.0.2"; d.OK = false }},
		{"not home", `runs on "10.77.0.2"`, func(d *migrate.DrillReport) { d.RunsOn = "10.77.0.2" }},
		{"not ok", "ok false", func(d *migrate.DrillReport) { d.OK = false }},
		{"a failed check", "leg 2: outcome migrated, runs on \"cfhostA\", failed checks: verify.reads g: no", func(d *migrate.DrillReport) {
			d.Legs[1].Checks = append(d.Legs[1].Checks, migrate.Check{Stage: migrate.StageVerify, ID: "verify.reads", Target: "g", Status: migrate.Fail, Reason: "no"})
		}},
		{"a leg failed", "leg 1: outcome failed", func(d *migrate.DrillReport) { d.Legs[0].Outcome = migrate.Failed }},
		{"the wrong way", "leg 1: sfkvm.migrate/v1 from \"10.77.0.2\"", func(d *migrate.DrillReport) { d.Legs[0].From, d.Legs[0].To = d.Legs[0].To, d.Legs[0].From }},
		{"another schema", "schema \"sfkvm.migrate/v1\"", func(d *migrate.DrillReport) { d.Schema = migrate.Schema }},
	} {
		d := goodDrill()
		c.edit(d)
		err := drillCheck(args(writeReport(t, d)), &strings.Builder{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want it to say %q", c.name, err, c.want)
		}
	}
	if err := drillCheck([]string{"-home", "cfhostA", filepath.Join(t.TempDir(), "none")}, &out); err == nil {
		t.Error("no -other: no error")
	}
}

func stalled() *migrate.Report {
	return &migrate.Report{Schema: migrate.Schema, Domain: "g", From: "cfhostA", To: "10.77.0.2", Guard: true, Outcome: migrate.Failed, RunsOn: "cfhostA",
		Checks: []migrate.Check{
			{Stage: migrate.StageGuard, ID: "guard.timeout", Target: "guest1", Status: migrate.OK},
			{Stage: migrate.StageMigrate, ID: "migrate.libvirt", Target: "g", Status: migrate.Fail,
				Reason: "migrating g from cfhostA: " + migratesetup.ErrMigrationStalled.Error() + " (after 5.2 s, 3.0 MiB of 40.0 MiB moved, 37.0 MiB left; libvirt: operation aborted)"},
		},
		Restore: []migrate.NodeRestore{{Guest: "g", CFName: "guest1", Restored: true}, {Guest: "p", CFName: "guest2", Restored: true}}}
}

func TestStallCheck(t *testing.T) {
	args := func(path string) []string { return []string{"-source", "cfhostA", "-nodes", "2", path} }
	var out strings.Builder
	if err := stallCheck(args(writeReport(t, stalled())), &out); err != nil {
		t.Fatalf("a stall aborted: %v", err)
	}
	if !strings.Contains(out.String(), "made no progress") {
		t.Errorf("output: %s", out.String())
	}
	for _, c := range []struct {
		name, want string
		edit       func(r *migrate.Report)
	}{
		{"migrated", `outcome "migrated"`, func(r *migrate.Report) { r.Outcome = migrate.Migrated }},
		{"on the destination", `runs on "10.77.0.2"`, func(r *migrate.Report) { r.RunsOn = "10.77.0.2" }},
		{"a timeout, not a stall", "no failed migrate.libvirt check", func(r *migrate.Report) {
			r.Checks[1].Reason = migratesetup.ErrMigrationTimeout.Error()
		}},
		{"a node not restored", "node guest2 not restored (cfset -r)", func(r *migrate.Report) { r.Restore[1].Restored, r.Restore[1].Failed = false, "cfset -r" }},
		{"a restore row missing", "1 restore rows (not 2)", func(r *migrate.Report) { r.Restore = r.Restore[:1] }},
		{"left for --recover", `recover "sfkvm migrate --recover g"`, func(r *migrate.Report) { r.Recover = "sfkvm migrate --recover g" }},
		{"another failure", "another check failed: verify verify.where", func(r *migrate.Report) {
			r.Checks = append(r.Checks, migrate.Check{Stage: migrate.StageVerify, ID: "verify.where", Status: migrate.Fail})
		}},
	} {
		r := stalled()
		c.edit(r)
		err := stallCheck(args(writeReport(t, r)), &strings.Builder{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want it to say %q", c.name, err, c.want)
		}
	}
}
