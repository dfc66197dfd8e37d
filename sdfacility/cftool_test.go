package sdfacility_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/sdfacility"
	"github.com/sfkvm/sfkvm/sdfacility/sdtest"
)

func TestParseLocalNodeName(t *testing.T) {
	for _, tc := range []struct {
		name, out, want, reason string
	}{
		{"header and row", "Node    Number State       Os      Cpu\ncfhost1 1      UP          Linux   EM64T\n", "cfhost1", ""},
		{"lowercase header, blank lines", "\nnode number state\n\n  cfguest11  2 UP\n", "cfguest11", ""},
		{"row alone", "cfhost2 1 UP Linux EM64T\n", "cfhost2", ""},
		{"header only", "Node    Number State       Os      Cpu\n", "", "no row after the header"},
		{"empty", "", "", "no row after the header"},
		{"several rows", "Node Number State\ncfhost1 1 UP\ncfhost2 2 UP\n", "", "more than one row"},
		{"an error message", "cftool: CF is not loaded\n", "", "not a CF node name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sdfacility.ParseLocalNodeName([]byte(tc.out))
			checkName(t, got, err, tc.want, tc.reason, tc.out)
		})
	}
}

func TestParseClusterName(t *testing.T) {
	for _, tc := range []struct {
		name, out, want, reason string
	}{
		{"name", "cluster1\n", "cluster1", ""},
		{"spaces and blank lines", "\n  PRIMECLUSTER_1 \n\n", "PRIMECLUSTER_1", ""},
		{"empty", "", "", "exactly one non-blank line"},
		{"two words", "Cluster name: cluster1\n", "", "not a single cluster name"},
		{"two lines", "cluster1\ncluster2\n", "", "exactly one non-blank line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sdfacility.ParseClusterName([]byte(tc.out))
			checkName(t, got, err, tc.want, tc.reason, tc.out)
		})
	}
}

func checkName(t *testing.T, got string, err error, want, reason, raw string) {
	t.Helper()
	if reason == "" {
		if err != nil || got != want {
			t.Errorf("got %q, %v; want %q", got, err, want)
		}
		return
	}
	var ue *sdfacility.UnrecognisedError
	if !errors.As(err, &ue) || !errors.Is(err, sdfacility.ErrUnrecognised) || !strings.Contains(ue.Reason, reason) || ue.Raw != raw {
		t.Errorf("got %q, %v; want an UnrecognisedError %q keeping the raw text", got, err, reason)
	}
}

func TestCFToolThroughRunners(t *testing.T) {
	cfg := sdtest.Config{Nodes: twoGuests, LocalNode: "cfguest12", Cluster: "cluster2"}
	sim := sdtest.New(cfg)
	node, err := sdfacility.LocalNodeName(t.Context(), sim)
	if err != nil || node != "cfguest12" {
		t.Errorf("LocalNodeName = %q, %v", node, err)
	}
	cluster, err := sdfacility.ClusterName(t.Context(), sim)
	if err != nil || cluster != "cluster2" {
		t.Errorf("ClusterName = %q, %v", cluster, err)
	}
	if got := strings.Join(sim.Calls(), ","); got != "cftool -l,cftool -c" {
		t.Errorf("calls %s", got)
	}

	p := sdtest.Install(t, cfg)
	tool := sdfacility.CFTool{Runner: sdfacility.LocalRunner{}, Path: p.CFTool}
	if node, err := tool.LocalNodeName(t.Context()); err != nil || node != "cfguest12" {
		t.Errorf("fake program: LocalNodeName = %q, %v", node, err)
	}
	if cluster, err := tool.ClusterName(t.Context()); err != nil || cluster != "cluster2" {
		t.Errorf("fake program: ClusterName = %q, %v", cluster, err)
	}
}

func TestCFToolFailures(t *testing.T) {
	failing := runnerFunc(func(_ context.Context, name string, args ...string) ([]byte, []byte, int, error) {
		return nil, []byte("cftool: CF is not running\n"), 3, nil
	})
	_, err := sdfacility.CFTool{Runner: failing, Path: "/x/cftool"}.LocalNodeName(t.Context())
	var ce *sdfacility.CommandError
	if !errors.As(err, &ce) || ce.ExitStatus != 3 || err.Error() != `/x/cftool -l: exit status 3: stderr "cftool: CF is not running"` {
		t.Errorf("err = %v", err)
	}
	_, err = sdfacility.CFTool{Path: t.TempDir() + "/cftool"}.ClusterName(t.Context())
	if !errors.Is(err, sdfacility.ErrToolMissing) {
		t.Errorf("missing cftool: err = %v", err)
	}
}
