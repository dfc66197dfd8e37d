package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/migrate"
	"github.com/sfkvm/sfkvm/migrate/migratetest"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/migratesetuptest"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// migrateSite is migratetest's site behind the CLI: the hosts through
// migrateHostsHook (this host is host1), the nodes through --lab-routes
// and --known-hosts, their password on stdin.
type migrateSite struct {
	*migratetest.Site
	dir, conf, routes, textfile string
}

func newMigrateSite(t *testing.T) *migrateSite {
	t.Helper()
	dir := t.TempDir()
	s, err := migratetest.NewSite(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	migrateHostsHook = func() (string, func(context.Context, string) (*migrate.Host, error)) { return "host1", s.Open }
	t.Cleanup(func() { migrateHostsHook = nil })
	m := &migrateSite{Site: s, dir: dir}
	var conf, routes strings.Builder
	for _, g := range s.Guests[:2] {
		fmt.Fprintf(&conf, "%s %s %s %s %s root D0860AB04E1B8FA3\n", g.Name, g.HostCFName, g.ClusterName, g.CFName, g.IP)
		hp := g.IP.String() + ":22"
		fmt.Fprintf(&routes, "%s %s\n", hp, s.Routes[hp])
	}
	m.conf = writeFile(t, filepath.Join(dir, "kvmguests.conf"), conf.String(), 0o600)
	m.routes = writeFile(t, filepath.Join(dir, "routes"), routes.String(), 0o600)
	m.textfile = filepath.Join(dir, "textfile")
	if err := os.Mkdir(m.textfile, 0o755); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m *migrateSite) args(cmd string, args ...string) []string {
	return append([]string{cmd}, append(args, "-f", m.conf, "--no-perm", "--password-stdin", "--lab-routes", m.routes,
		"--known-hosts", m.KnownHosts, "--state-dir", m.StateDir, "--settle", "3s", "--textfile", m.textfile)...)
}

func TestMigrateCommandGuarded(t *testing.T) {
	m := newMigrateSite(t)
	r := runCLI(t, migratetest.Password+"\n", m.args("migrate", "guest11", "--to", "host2", "--guard")...)
	t.Logf("%+v", r)
	if r.code != exitOK || !strings.HasSuffix(r.stdout, "MIGRATED: guest11 runs on host2\n") {
		t.Fatalf("exit %d", r.code)
	}
	// The figures depend on the job's timing; the form does not.
	if !regexp.MustCompile(`^(\rMigration: \[ {0,2}[0-9]{1,3} %\])+\n`).MatchString(r.stderr) || !strings.Contains(r.stderr, "\rMigration: [100 %]\n") {
		t.Errorf("no virsh-style progress on stderr: %q", r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, migratetest.Password) {
		t.Error("the password is in the output")
	}
	if m.RunsOn("guest11") != "host2" {
		t.Fatalf("libvirt says %q", m.RunsOn("guest11"))
	}
	for _, n := range []string{"cfguest11", "cfguest12"} {
		if st := m.Cluster.Node(n); st.Timeout != "10" || !st.Facility {
			t.Errorf("%s not restored: %+v", n, st)
		}
	}
	prom, err := os.ReadFile(filepath.Join(m.textfile, "sfkvm_migrate.prom"))
	if err != nil || !bytes.Contains(prom, []byte(`sfkvm_migrate_ok{domain="guest11",from="host1",leg="1",to="host2"} 1`)) ||
		!bytes.Contains(prom, []byte("sfkvm_migrate_reads_new_host_seconds{")) {
		t.Errorf("metrics: %v\n%s", err, prom)
	}
}

func TestMigrateCommandJSONAndRefusal(t *testing.T) {
	m := newMigrateSite(t)
	m.Cluster.Do("cfguest12", func(n *migratetest.Node) { n.Up = false })
	r := runCLI(t, migratetest.Password+"\n", m.args("migrate", "guest11", "--to", "host2", "--format=json")...)
	if r.code != exitFailed {
		t.Fatalf("exit %d: %+v", r.code, r)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil {
		t.Fatal(err)
	}
	if raw["schema"] != migrate.Schema || raw["outcome"] != "refused" || raw["runs_on"] != "host1" {
		t.Errorf("json: %s", r.stdout)
	}
	if _, err := os.Stat(filepath.Join(m.textfile, "sfkvm_migrate.prom")); err != nil {
		t.Errorf("a refused run writes its metrics too: %v", err)
	}
}

// A node's cfset -r fails in the restore: exit 1, the node and the
// commands named, then `sfkvm migrate --recover` finishes (exit 0).
func TestMigrateCommandRecover(t *testing.T) {
	m := newMigrateSite(t)
	broken := true
	m.Cluster.Do("cfguest12", func(n *migratetest.Node) {
		n.Fault = func(cmd string) (sshtest.Reply, bool) {
			if cmd == migrate.DefaultCFSet+" -r" && broken && !strings.Contains(string(n.Config), "600") {
				return sshtest.Reply{Stderr: "cfset: cannot connect to CF\n", ExitStatus: 1}, true
			}
			return sshtest.Reply{}, false
		}
	})
	r := runCLI(t, migratetest.Password+"\n", m.args("migrate", "guest11", "--to", "host2", "--guard")...)
	t.Logf("%+v", r)
	if r.code != exitFailed || !strings.Contains(r.stdout, "NOT RESTORED guest12 (cfguest12)") ||
		!strings.Contains(r.stdout, "  /opt/SMAW/bin/cfset -r\n") || !strings.Contains(r.stdout, "to finish the restore: sfkvm migrate --recover guest11") ||
		!strings.HasSuffix(r.stdout, "FAILED: guest11 runs on host2\n") {
		t.Fatalf("exit %d", r.code)
	}
	broken = false
	r = runCLI(t, migratetest.Password+"\n", m.args("migrate", "--recover", "guest11")...)
	t.Logf("%+v", r)
	if r.code != exitOK || !strings.HasSuffix(r.stdout, "RESTORED: every node of cluster cluster1\n") {
		t.Fatalf("recover: exit %d", r.code)
	}
	if st := m.Cluster.Node("cfguest12"); st.Timeout != "10" || !st.Facility {
		t.Errorf("cfguest12 not restored: %+v", st)
	}
}

// SIGINT during the migration: exit 130 with the one last line, the
// guest where it was, every node restored.
func TestMigrateCommandInterrupted(t *testing.T) {
	m := newMigrateSite(t)
	m.Stores["host1"].SetMigration(migratesetuptest.Migration{Steps: 1000, Step: 10 * time.Millisecond})
	ctx, cancel := context.WithCancelCause(testenv.Context(t))
	defer cancel(nil)
	go func() {
		// Interrupt once the job runs (its first progress on stderr).
		for ctx.Err() == nil {
			if m.Cluster.Node("cfguest12").Timeout == "600" {
				time.Sleep(50 * time.Millisecond)
				cancel(errInterrupted)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	var out, errb bytes.Buffer
	code := run(ctx, m.args("migrate", "guest11", "--to", "host2", "--guard"), strings.NewReader(migratetest.Password+"\n"), &out, &errb)
	t.Logf("stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
	if code != exitInterrupted || !strings.HasSuffix(errb.String(), interruptedMessage+"\n") {
		t.Fatalf("exit %d", code)
	}
	if !strings.HasSuffix(out.String(), "INTERRUPTED: guest11 runs on host1\n") || m.RunsOn("guest11") != "host1" {
		t.Errorf("runs on %q", m.RunsOn("guest11"))
	}
	for _, n := range []string{"cfguest11", "cfguest12"} {
		if st := m.Cluster.Node(n); st.Timeout != "10" || !st.Facility {
			t.Errorf("%s not restored: %+v", n, st)
		}
	}
}

func TestDrillCommand(t *testing.T) {
	m := newMigrateSite(t)
	r := runCLI(t, migratetest.Password+"\n", m.args("drill", "guest11", "--hosts", "host2,host3")...)
	t.Logf("%+v", r)
	if r.code != exitOK || !strings.HasSuffix(r.stdout, "OK: guest11 runs on host1\n") || strings.Count(r.stdout, " migrated ") != 4 {
		t.Fatalf("exit %d", r.code)
	}
	m.Stores["host3"].Fail = func(method, domain string) error {
		if method == "MigratePrepare" {
			return errors.New("host3 refuses")
		}
		return nil
	}
	r = runCLI(t, migratetest.Password+"\n", m.args("drill", "guest11", "--hosts", "host2,host3", "--format=json")...)
	var d migrate.DrillReport
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil || r.code != exitFailed || d.OK || d.RunsOn != "host1" || len(d.Legs) != 3 {
		t.Fatalf("exit %d, %v: %s", r.code, err, r.stdout)
	}
	prom, _ := os.ReadFile(filepath.Join(m.textfile, "sfkvm_drill.prom"))
	if !bytes.Contains(prom, []byte(`sfkvm_drill_ok{domain="guest11",from="host1",leg="3",to="host3"} 0`)) {
		t.Errorf("drill metrics:\n%s", prom)
	}
}

func TestMigrateUsage(t *testing.T) {
	for _, args := range [][]string{
		{"migrate", "guest11"},
		{"migrate", "--to", "h"},
		{"migrate", "guest11", "--to", "h", "--recover"},
		{"migrate", "guest11", "--to", "h", "-f", "none"},
		{"migrate", "guest11", "--to", "h", "--password-stdin", "--key", "k"},
		{"migrate", "guest11", "--to", "h", "--password-stdin", "--timeout", "0"},
		{"drill", "guest11", "--password-stdin"},
	} {
		if r := runCLI(t, "", args...); r.code != exitUsage || !strings.HasPrefix(r.stderr, "sfkvm "+args[0]+": ") {
			t.Errorf("%q: %+v", args, r)
		}
	}
}

// The restore that --guard starts beside the migration's end logs its
// steps while the migration still runs: the line stays the migration's,
// ends at 100 %, and a migration that fails midway still ends its line
// before the report.
func TestProgressLine(t *testing.T) {
	half := migratesetup.MigrateProgress{DataTotal: 100, DataRemaining: 25}
	for _, tc := range []struct {
		name  string
		steps func(l *progressLine)
		want  string
	}{
		{"restore beside", func(l *progressLine) {
			l.log("migrate")
			l.progress(half)
			l.log("restore.sdtool-b")
			l.log("migrated")
			l.log("verify")
		}, "\rMigration: [ 75 %]\rMigration: [100 %]\n"},
		{"failed midway", func(l *progressLine) {
			l.log("migrate")
			l.progress(half)
			l.log("restore.cfset-r")
			l.end()
		}, "\rMigration: [ 75 %]\n"},
		{"two legs", func(l *progressLine) {
			l.log("migrate")
			l.progress(half)
			l.log("migrate")
			l.progress(half)
			l.log("migrated")
			l.end()
		}, "\rMigration: [ 75 %]\n\rMigration: [ 75 %]\rMigration: [100 %]\n"},
	} {
		var b strings.Builder
		l := &progressLine{w: &b}
		tc.steps(l)
		if b.String() != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, b.String(), tc.want)
		}
	}
}
