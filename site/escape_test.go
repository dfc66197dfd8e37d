package site_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/site"
	"github.com/sfkvm/sfkvm/site/metrics"
)

// TestGuestNamesFromHostsAreEscaped: a guest-name and host-cfname with
// ESC, BEL and a C1 byte (0x9B, a one-byte CSI) in a host's copy of
// kvmguests.conf reach no output raw: not the textfile's labels, not the
// JSON, not the table. They are escaped as a host's report is, so the
// guest still matches its rows in the hosts' reports.
func TestGuestNamesFromHostsAreEscaped(t *testing.T) {
	s := twoHosts()
	hostile := fakeGuest{name: "g\x1b]0;pwn\x07", host: "cf\u009bhost", ip: "198.51.100.9", key: s.guests[0].key}
	s.guests = append(s.guests, hostile)
	s.start(t)
	rep := site.Run(context.Background(), s.cfg)

	dir := t.TempDir()
	if err := metrics.WriteTextfile(dir, rep); err != nil {
		t.Fatal(err)
	}
	prom, err := os.ReadFile(filepath.Join(dir, metrics.FileName))
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"textfile": string(prom), "JSON": string(js), "table": text.String()} {
		if strings.ContainsAny(out, "\x1b\x07\u009b") || strings.Contains(out, `\u001b`) || strings.Contains(out, `\u0007`) {
			t.Errorf("%s holds a raw control character of a host's kvmguests.conf", name)
		}
	}
	if !strings.Contains(string(prom), `target="g\\x1b]0;pwn\\a"`) {
		t.Errorf("the textfile does not name the guest escaped:\n%s", prom)
	}
	if r := row(t, rep, site.GuestKnowsHosts.ID, `g\x1b]0;pwn\a`); r.Status != preflight.OK {
		t.Errorf("the escaped guest lost its hosts' rows: %+v", r)
	}
	if r := row(t, rep, site.HostCFNameKnown.ID, `g\x1b]0;pwn\a`); !strings.Contains(r.Reason, `cf\u009bhost`) {
		t.Errorf("site.hostcfname: %+v", r)
	}
}
