package site_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/site"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// TestRowsBelongToTheirHost: a report's rows are the host's that sent
// them, whatever host they name: h2 cannot speak for h1.
func TestRowsBelongToTheirHost(t *testing.T) {
	s := twoHosts()
	s.hosts[1].preflight = &sshtest.Reply{Stdout: `{"schema":"sfkvm.preflight/v1","results":[` +
		`{"host":"h1","check":"guest.login","target":"from-h2","status":"FAIL","reason":"h2 says so"},` +
		`{"host":"","check":"site.conf","target":"/etc/opt/FJSVcluster/etc/kvmguests.conf","status":"OK","reason":"a site check from h2"}],` +
		`"counts":{"ok":1,"fail":1}}`, ExitStatus: 1}
	s.start(t)
	rep := site.Run(context.Background(), s.cfg)
	for _, r := range rep.Results {
		if r.Reason == "h2 says so" || r.Reason == "a site check from h2" {
			if r.Host != "h2" {
				t.Errorf("a row h2 sent is reported as %q's: %+v", r.Host, r)
			}
		}
	}
	if n := len(rep.Of(site.ConfSame.ID)); n != 2 {
		t.Errorf("%d site.conf rows, want the site's and h2's", n)
	}
	if c := rep.Hosts[0].Counts; c == nil || c.Fail != 0 {
		t.Errorf("h1's counts: %+v", c)
	}
}

// TestKnowsHostNeedsARow: a host whose report has no guest.knowshost row
// for a guest did not check it: the site cannot say the guest knows it.
func TestKnowsHostNeedsARow(t *testing.T) {
	s := twoHosts()
	s.hosts[1].preflight = &sshtest.Reply{Stdout: `{"schema":"sfkvm.preflight/v1","results":[` +
		`{"check":"guest.setup","step":"3","target":"guest02","status":"OK"},{"check":"guest.setup","step":"3","target":"guest04","status":"OK"}],` +
		`"counts":{"ok":2}}`}
	s.start(t)
	rep := site.Run(context.Background(), s.cfg)
	if r := row(t, rep, site.GuestKnowsHosts.ID, "guest01"); r.Status != preflight.Skip || !strings.Contains(r.Reason, "h2 (no row for the guest)") {
		t.Errorf("site.knowshost: %+v", r)
	}
}

// TestTieTakesTheFirstHost: with as many hosts holding one copy as
// another, the guests checked are those of the first host's copy, as the
// package doc says.
func TestTieTakesTheFirstHost(t *testing.T) {
	s := twoHosts()
	s.hosts[1].conf = s.confText() + "guest05 cfhost2 cluster1 cfguest05 198.51.100.5 root D0860AB04E1B8FA3\n"
	s.start(t)
	rep := site.Run(context.Background(), s.cfg)
	if rs := rep.Of(site.HostCFNameKnown.ID); len(rs) != 4 || rs[3].Target != "guest04" {
		t.Errorf("site.hostcfname rows: %+v, want guest01..guest04 of h1's copy", rs)
	}
	s.hosts[0].conf, s.hosts[1].conf = s.hosts[1].conf, ""
	rep = site.Run(context.Background(), s.cfg)
	if rs := rep.Of(site.HostCFNameKnown.ID); len(rs) != 5 {
		t.Errorf("%d site.hostcfname rows, want the 5 guests of h1's copy", len(rs))
	}
}
