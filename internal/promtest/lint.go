package promtest

import (
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
)

// Lint checks that g gathers exactly the families named (each writer's
// documented Names) and that their names, types and help follow
// Prometheus' naming rules, as promlint checks them.
func Lint(t *testing.T, g prometheus.Gatherer, names []string) {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil || len(mfs) != len(names) {
		t.Fatalf("gathered %d families, want %d (%v): %v", len(mfs), len(names), names, err)
	}
	for i, mf := range mfs {
		if !slices.Contains(names, mf.GetName()) {
			t.Errorf("family %d, %s, is not one of %v", i, mf.GetName(), names)
		}
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil || len(problems) != 0 {
		t.Errorf("lint: %v %+v", err, problems)
	}
}
