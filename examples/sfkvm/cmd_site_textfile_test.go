package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/internal/promtest"
	"github.com/sfkvm/sfkvm/preflight"
	pmetrics "github.com/sfkvm/sfkvm/preflight/metrics"
	"github.com/sfkvm/sfkvm/site"
	sitemetrics "github.com/sfkvm/sfkvm/site/metrics"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// textfileSite is a site of three hosts for --textfile: h1 (its guest's
// sudo FAILs), h3 (kvmguests.conf edited), and one that refuses
// connections; textfile is an empty folder fit for the textfile.
type textfileSite struct {
	dir, textfile string
	h1, h3        *sshtest.Server
	down          string
	args          []string // sfkvm site with every flag but --textfile
}

func newTextfileSite(t *testing.T) textfileSite {
	t.Helper()
	t.Setenv("SSH_AUTH_SOCK", "")
	dir := t.TempDir()
	id := writeIdentity(t, dir, "id", "", 0o600)
	client := publicKeyOf(t, id)
	key := guestKey(t)
	report, err := json.Marshal(preflight.Report{Schema: preflight.Schema, Results: []preflight.Result{
		{Check: preflight.GuestSudo.ID, Step: "1.2", Title: "sudo NOPASSWD", Target: "guest11 198.51.100.11", Status: preflight.Fail, Reason: "sudo needs a password"},
	}, Counts: preflight.Counts{Fail: 1}})
	if err != nil {
		t.Fatal(err)
	}
	s := textfileSite{dir: dir, textfile: filepath.Join(dir, "textfile")}
	s.h1 = siteHost(t, client, "cfhost1", "/opt/sfkvm", siteConf, key, string(report))
	s.h3 = siteHost(t, client, "cfhost3", "/opt/sfkvm", siteConf+"# edited\n", key, string(report))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.down = ln.Addr().String()
	ln.Close()
	kh := filepath.Join(dir, "known_hosts")
	known := s.h1.KnownHostsLine(s.h1.Addr()) + "\n" + s.h3.KnownHostsLine(s.h3.Addr()) + "\n"
	if err := os.WriteFile(kh, []byte(known), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(s.textfile, 0o755); err != nil {
		t.Fatal(err)
	}
	s.args = []string{"site", "--identity", id, "--host-known-hosts", kh, "--sfkvm", "/opt/sfkvm", "--preflight-arg=--key", "--preflight-arg=/k",
		"--site-hosts", s.h1.Addr() + "," + s.h3.Addr() + "," + s.down}
	return s
}

func (s textfileSite) run(t *testing.T, args ...string) cliResult {
	t.Helper()
	return runCLI(t, "", append(append([]string{}, s.args...), args...)...)
}

// TestSiteTextfile: --textfile writes the report as metrics after the run,
// the same report that it prints: each row's status, each host up or down
// with its file's checksum.
func TestSiteTextfile(t *testing.T) {
	s := newTextfileSite(t)
	r := s.run(t, "--textfile", s.textfile, "--format=json")
	var rep site.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != exitFailed || len(rep.Hosts) != 3 {
		t.Fatalf("exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	fams := promtest.ParseFile(t, filepath.Join(s.textfile, sitemetrics.FileName))
	status := map[string]string{}
	for _, m := range fams[sitemetrics.CheckStatus].GetMetric() {
		status[promtest.Labels(m)["host"]+" "+promtest.Labels(m)["check"]+" "+promtest.Labels(m)["target"]] = promtest.Labels(m)["status"]
	}
	if len(status) != len(rep.Results) {
		t.Errorf("%d series for %d rows", len(status), len(rep.Results))
	}
	for _, x := range rep.Results {
		if k := x.Host + " " + string(x.Check) + " " + x.Target; status[k] != strings.ToLower(string(x.Status)) {
			t.Errorf("%s: %q, the report says %s", k, status[k], x.Status)
		}
	}
	for k, want := range map[string]string{
		" site.host " + s.down:                               "fail",
		" site.conf /etc/opt/FJSVcluster/etc/kvmguests.conf": "fail",
		s.h1.Addr() + " guest.sudo guest11 198.51.100.11":    "fail",
		s.h3.Addr() + " guest.sudo guest11 198.51.100.11":    "fail",
		" site.host " + s.h1.Addr():                          "ok",
	} {
		if status[k] != want {
			t.Errorf("%s: %q, want %q", k, status[k], want)
		}
	}
	up, sums := map[string]float64{}, map[string]string{}
	for _, m := range fams[sitemetrics.HostUp].GetMetric() {
		up[promtest.Labels(m)["host"]] = m.GetGauge().GetValue()
	}
	for _, m := range fams[sitemetrics.ConfInfo].GetMetric() {
		sums[promtest.Labels(m)["host"]] = promtest.Labels(m)["sha256"]
	}
	if len(up) != 3 || up[s.h1.Addr()] != 1 || up[s.h3.Addr()] != 1 || up[s.down] != 0 {
		t.Errorf("up %v", up)
	}
	if len(sums) != 2 || sums[s.h1.Addr()] != rep.Hosts[0].ConfSHA256 || sums[s.h3.Addr()] != rep.Hosts[1].ConfSHA256 || sums[s.h1.Addr()] == sums[s.h3.Addr()] {
		t.Errorf("checksums %v, hosts %+v", sums, rep.Hosts)
	}
	if at := fams[sitemetrics.LastRunTimestamp].GetMetric()[0].GetGauge().GetValue(); at != float64(rep.Finished.UnixMilli())/1e3 {
		t.Errorf("last run %v, the report ended %v", at, rep.Finished)
	}
	if ents, _ := os.ReadDir(s.textfile); len(ents) != 1 {
		t.Errorf("the folder holds %v", ents)
	}
}

// A textfile folder that breaks a rule stops the command before the run,
// with the code of its kind, as preflight's --textfile does.
func TestSiteTextfileRefused(t *testing.T) {
	s := newTextfileSite(t)
	for _, tc := range refusedFolders(t, s.dir, s.textfile) {
		r := s.run(t, "--textfile", tc.dir)
		if r.code != tc.code || r.stdout != "" || !strings.HasPrefix(r.stderr, "sfkvm site: --textfile: ") || !strings.Contains(r.stderr, tc.msg) {
			t.Errorf("%s: exit %d, want %d; stdout %q, stderr %q", tc.dir, r.code, tc.code, r.stdout, r.stderr)
		}
	}
	if ents, _ := os.ReadDir(s.textfile); len(ents) != 0 {
		t.Errorf("written through the link: %v", ents)
	}
	if n := len(s.h1.Commands()); n != 0 {
		t.Errorf("h1 ran %d commands: the folder is checked before the run", n)
	}
}

// A textfile that cannot be written after the run (a folder in its place:
// the rename over it fails) is exit 69 and a message naming it; the report
// is not printed as if all went well (as preflight's).
func TestSiteTextfileWriteFails(t *testing.T) {
	s := newTextfileSite(t)
	in := filepath.Join(s.textfile, sitemetrics.FileName, "x")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	r := s.run(t, "--textfile", s.textfile)
	if r.code != exitUnavailable || r.stdout != "" || !strings.Contains(r.stderr, "sfkvm site: --textfile: writing "+filepath.Join(s.textfile, sitemetrics.FileName)) {
		t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// A run that a signal cut short leaves the last whole run's textfile as
// it was (its hosts were not down, the run was stopped), and preflight's
// textfile in the same folder is not the site's business.
func TestSiteTextfileInterrupted(t *testing.T) {
	s := newTextfileSite(t)
	if r := s.run(t, "--textfile", s.textfile); r.code != exitFailed {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	prom := filepath.Join(s.textfile, sitemetrics.FileName)
	before, err := os.ReadFile(prom)
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(s.textfile, pmetrics.FileName)
	os.WriteFile(other, []byte("# preflight's\n"), 0o644)
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errInterrupted)
	var out, errb bytes.Buffer
	args := append(append([]string{}, s.args...), "--textfile", s.textfile)
	if code := run(ctx, args, strings.NewReader(""), &out, &errb); code != exitInterrupted || !strings.HasSuffix(errb.String(), interruptedMessage+"\n") {
		t.Errorf("exit %d, want %d\n%s", code, exitInterrupted, errb.String())
	}
	if after, err := os.ReadFile(prom); err != nil || !bytes.Equal(after, before) {
		t.Errorf("the textfile changed after an interrupted run (%v)", err)
	}
	if b, _ := os.ReadFile(other); string(b) != "# preflight's\n" {
		t.Errorf("preflight's textfile: %q", b)
	}
}
