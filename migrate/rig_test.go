package migrate_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/migrate"
	"github.com/sfkvm/sfkvm/migrate/migratetest"
)

const domain = "guest11"

// rig is migratetest's site with the test's helpers.
type rig struct {
	*migratetest.Site
	t *testing.T
}

func newRig(t *testing.T) *rig {
	t.Helper()
	s, err := migratetest.NewSite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return &rig{Site: s, t: t}
}

func (r *rig) plan(from, to string) migrate.Plan { return r.Plan(from, to) }
func (r *rig) runsOn(name string) string         { return r.RunsOn(name) }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// status returns the status of the report's first check with that id and
// target ("" when there is none).
func status(rep *migrate.Report, id, target string) migrate.Status {
	for _, c := range rep.Checks {
		if c.ID == id && c.Target == target {
			return c.Status
		}
	}
	return ""
}

// lastCheck returns the report's last check with that id (zero when there
// is none).
func lastCheck(rep *migrate.Report, id string) migrate.Check {
	var c migrate.Check
	for _, x := range rep.Checks {
		if x.ID == id {
			c = x
		}
	}
	return c
}

func dump(t *testing.T, rep *migrate.Report) {
	t.Helper()
	var b strings.Builder
	rep.WriteText(&b)
	t.Log("\n" + b.String())
}

// untouched fails unless every node has its old cluster.config, CF's
// default timeout loaded and its facility running.
func (r *rig) untouched(t *testing.T) {
	t.Helper()
	for _, n := range []string{"cfguest11", "cfguest12"} {
		st := r.Cluster.Node(n)
		if string(st.Config) != fmt.Sprintf(migratetest.InitialConfig, "cluster1") || st.Timeout != "10" || !st.Facility {
			t.Errorf("%s not as it was: config %q timeout %s facility %v", n, st.Config, st.Timeout, st.Facility)
		}
	}
}

// changedNothing fails if any node ran a command that changes it.
func (r *rig) changedNothing(t *testing.T) {
	t.Helper()
	for _, l := range r.Cluster.Log() {
		for _, w := range []string{"sdtool -e", "sdtool -b", "cfset -r", ": write "} {
			if strings.Contains(l, w) {
				t.Errorf("a refused run changed a node: %s", l)
			}
		}
	}
}
