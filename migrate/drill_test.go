package migrate_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/migrate"
)

// A drill stops at the first leg that fails, with the guest where the
// report says: here the way back from host2 is refused by host1, so the
// guest stays on host2 and host3 is never tried.
func TestDrillStopsAtFirstFailure(t *testing.T) {
	r := newRig(t)
	r.Stores["host1"].Fail = func(method, domain string) error {
		if method == "MigratePrepare" {
			return errors.New("host1 refuses: not enough memory")
		}
		return nil
	}
	p := r.plan("host1", "")
	p.Guard = true
	d := migrate.Drill(ctxT(t), p, []string{"host2", "host3"})
	var b strings.Builder
	d.WriteText(&b)
	t.Log("\n" + b.String())
	if d.OK || len(d.Legs) != 2 || d.RunsOn != "host2" || r.runsOn(domain) != "host2" {
		t.Fatalf("ok %v, %d legs, runs on %q (libvirt %q): want 2 legs, stopped on host2", d.OK, len(d.Legs), d.RunsOn, r.runsOn(domain))
	}
	if d.Legs[0].Outcome != migrate.Migrated || d.Legs[1].Outcome != migrate.Failed {
		t.Errorf("legs %s, %s", d.Legs[0].Outcome, d.Legs[1].Outcome)
	}
	if r.Stores["host3"].Calls("MigratePrepare") != 0 {
		t.Error("the drill went on after a failed leg")
	}
	r.untouched(t)
	for _, want := range []string{"FAIL: guest11 runs on host2", "leg 2: FAIL migrate migrate.libvirt", "host1 refuses"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the table lacks %q", want)
		}
	}
}

func TestDrillHomeAndBack(t *testing.T) {
	r := newRig(t)
	d := migrate.Drill(ctxT(t), r.plan("host1", ""), []string{"host2", "host3"})
	if !d.OK || len(d.Legs) != 4 || d.RunsOn != "host1" || r.runsOn(domain) != "host1" {
		t.Fatalf("ok %v, %d legs, runs on %q", d.OK, len(d.Legs), d.RunsOn)
	}
	want := [][2]string{{"host1", "host2"}, {"host2", "host1"}, {"host1", "host3"}, {"host3", "host1"}}
	for i, leg := range d.Legs {
		if leg.From != want[i][0] || leg.To != want[i][1] || !leg.OK() || leg.ReadsNewHostSeconds == nil {
			t.Errorf("leg %d: %s -> %s %s", i+1, leg.From, leg.To, leg.Outcome)
		}
	}
}
