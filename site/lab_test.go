package site_test

import (
	"context"
	"encoding/json"
	"io"
	"testing"

	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/preflight/lab"
	"github.com/sfkvm/sfkvm/site"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// A report that preflight itself made (the lab's host, with one guest
// whose sudo needs a password) is read row by row, its error texts kept.
func TestLabReport(t *testing.T) {
	ctx := context.Background()
	l, err := lab.Start(ctx, t.TempDir(), io.Discard, lab.SudoNeedsPassword("guest22"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	want := preflight.Run(ctx, l.Config())
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	s := twoHosts()
	s.hosts[0].preflight = &sshtest.Reply{Stdout: string(b), ExitStatus: 1}
	s.start(t)
	rep := site.Run(ctx, s.cfg)
	var got []site.Result
	for _, r := range rep.Results {
		if r.Host == "h1" {
			got = append(got, r)
		}
	}
	if len(got) != len(want.Results) {
		t.Fatalf("%d rows of h1, its report has %d", len(got), len(want.Results))
	}
	sudo := 0
	for i, r := range got {
		w := want.Results[i]
		if r.Check != w.Check || r.Target != w.Target || r.Status != w.Status || r.Reason != w.Reason {
			t.Errorf("row %d: %+v, want %+v", i, r, w)
		}
		if r.Check == preflight.GuestSudo.ID && r.Status == preflight.Fail && r.Error != "" {
			sudo++
		}
	}
	if sudo != 1 || *rep.Hosts[0].Counts != want.Counts {
		t.Errorf("sudo FAILs with an error: %d; counts %+v, want %+v", sudo, rep.Hosts[0].Counts, want.Counts)
	}
	if r := row(t, rep, site.HostReached.ID, "h1"); r.Status != preflight.OK {
		t.Errorf("h1: %+v", r)
	}
}
