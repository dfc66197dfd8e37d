package metrics_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/promtest"
	"github.com/sfkvm/sfkvm/preflight"
	pmetrics "github.com/sfkvm/sfkvm/preflight/metrics"
	"github.com/sfkvm/sfkvm/site"
	"github.com/sfkvm/sfkvm/site/metrics"
)

// TestTextfile writes what site.Run made of three hosts and reads it back
// series by series: every row of the report is one series with its
// labels and status, every host is up or down with its duration and its
// file's checksum, and the counts and the run's time are the report's.
func TestTextfile(t *testing.T) {
	rep := siteReport(t)
	dir := t.TempDir()
	if err := metrics.WriteTextfile(dir, rep); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, metrics.FileName)
	fams := promtest.ParseFile(t, path)
	promtest.Gauges(t, fams, metrics.Names)
	if !slices.IsSorted(metrics.Names) {
		t.Errorf("Names not sorted: %v", metrics.Names)
	}

	// Every row is one series, with its step and status, and nothing else.
	want := map[string]string{}
	for _, r := range rep.Results {
		want[r.Host+"|"+string(r.Check)+"|"+string(r.Step)+"|"+r.Target] = strings.ToLower(string(r.Status))
	}
	got := map[string]string{}
	for _, m := range fams[metrics.CheckStatus].GetMetric() {
		l := promtest.Labels(m)
		if m.GetGauge().GetValue() != 1 || len(l) != 5 {
			t.Errorf("series %v = %v", l, m.GetGauge().GetValue())
		}
		got[l["host"]+"|"+l["check"]+"|"+l["step"]+"|"+l["target"]] = l["status"]
	}
	if len(got) != len(want) || len(rep.Results) != len(want) {
		t.Errorf("%d series for %d rows (%d distinct)", len(got), len(rep.Results), len(want))
	}
	for k, s := range want {
		if got[k] != s {
			t.Errorf("%s: status %q, want %q", k, got[k], s)
		}
	}
	for k, s := range map[string]string{
		"|site.host||h1": "ok",
		"|site.host||h3": "fail",
		"|site.conf|1.4|/etc/opt/FJSVcluster/etc/kvmguests.conf": "fail",
		"h1|guest.sudo|1.2|guest11 198.51.100.11":                "fail",
		"h2|guest.sudo|1.2|guest11 198.51.100.11":                "ok",
		"h2|guest.setup|3|guest11":                               "ok",
	} {
		if got[k] != s {
			t.Errorf("%s: status %q, want %q", k, got[k], s)
		}
	}

	// One up, duration and checksum per host, as the report has them.
	byHost := func(name string) map[string]float64 {
		out := map[string]float64{}
		for _, m := range fams[name].GetMetric() {
			out[promtest.Labels(m)["host"]] = m.GetGauge().GetValue()
		}
		return out
	}
	up, secs := byHost(metrics.HostUp), byHost(metrics.HostDuration)
	sums := map[string]string{}
	for _, m := range fams[metrics.ConfInfo].GetMetric() {
		l := promtest.Labels(m)
		if m.GetGauge().GetValue() != 1 || len(l) != 2 {
			t.Errorf("conf info %v = %v", l, m.GetGauge().GetValue())
		}
		sums[l["host"]] = l["sha256"]
	}
	if len(up) != 3 || len(secs) != 3 || len(sums) != 2 {
		t.Errorf("up %v, durations %v, checksums %v: want 3, 3 and 2 hosts", up, secs, sums)
	}
	for _, h := range rep.Hosts {
		wantUp := 0.0
		if h.Status == preflight.OK {
			wantUp = 1
		}
		if up[h.Name] != wantUp || secs[h.Name] != h.Seconds || sums[h.Name] != h.ConfSHA256 {
			t.Errorf("%s: up %v, %vs, sha256 %q; the report has %+v", h.Name, up[h.Name], secs[h.Name], sums[h.Name], h)
		}
	}
	if up["h1"] != 1 || up["h3"] != 0 || len(sums["h1"]) != 64 || sums["h1"] == sums["h2"] || secs["h1"] <= 0 {
		t.Errorf("up %v, durations %v, checksums %v", up, secs, sums)
	}

	counts := map[string]float64{}
	for _, m := range fams[metrics.Results].GetMetric() {
		counts[promtest.Labels(m)["status"]] = m.GetGauge().GetValue()
	}
	c := rep.Counts
	if counts["ok"] != float64(c.OK) || counts["warn"] != float64(c.Warn) || counts["fail"] != float64(c.Fail) || counts["skip"] != float64(c.Skip) || len(counts) != 4 || c.Fail == 0 {
		t.Errorf("counts %v, want %+v", counts, c)
	}
	hosts := map[string]float64{}
	for _, m := range fams[metrics.Hosts].GetMetric() {
		hosts[promtest.Labels(m)["status"]] = m.GetGauge().GetValue()
	}
	if len(hosts) != 2 || hosts["ok"] != 2 || hosts["fail"] != 1 {
		t.Errorf("hosts %v, want 2 ok and 1 fail", hosts)
	}
	at := fams[metrics.LastRunTimestamp].GetMetric()[0].GetGauge().GetValue()
	if d := at - float64(rep.Finished.UnixMilli())/1e3; d < -0.001 || d > 0.001 {
		t.Errorf("timestamp %f, finished %v", at, rep.Finished)
	}
	if d := fams[metrics.LastRunDuration].GetMetric()[0].GetGauge().GetValue(); d <= 0 || d != rep.Duration().Seconds() {
		t.Errorf("duration %f, want %f", d, rep.Duration().Seconds())
	}

	// Readable by node_exporter's user; no temporary file left.
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("textfile mode %v, %v", fi.Mode(), err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("folder holds %d entries", len(ents))
	}
}

// The names, types and help follow Prometheus' naming rules, as promlint
// checks them.
func TestLint(t *testing.T) {
	rep := siteReport(t)
	g, err := metrics.Gatherer(rep)
	if err != nil {
		t.Fatal(err)
	}
	promtest.Lint(t, g, metrics.Names)
}

// Two rows of one check, host and target are one series with the worse
// status, and a host given twice one series of each kind, down when either
// was: a duplicate would make the registry refuse the whole file. A host
// name that is not UTF-8 (a program's, not a host's words) is written
// rather than refusing the file.
func TestDuplicates(t *testing.T) {
	rep := site.Report{
		Hosts: []site.Host{
			{Name: "h1", Status: preflight.Fail, Seconds: 3, ConfSHA256: "aa"},
			{Name: "h1", Status: preflight.OK, Seconds: 1, ConfSHA256: "aa"},
			{Name: "h\xff", Status: preflight.OK, Seconds: 2},
		},
		Results: []site.Result{
			{Host: "h1", Check: "guest.setup", Step: "3", Target: "(guests here)", Status: preflight.Skip},
			{Host: "h1", Check: "guest.setup", Step: "3", Target: "(guests here)", Status: preflight.Fail},
			{Host: "h1", Check: "guest.setup", Step: "3", Target: "(guests here)", Status: preflight.OK},
			{Host: "", Check: "guest.setup", Step: "3", Target: "(guests here)", Status: preflight.OK},
		},
	}
	dir := t.TempDir()
	if err := metrics.WriteTextfile(dir, rep); err != nil {
		t.Fatal(err)
	}
	fams := promtest.ParseFile(t, filepath.Join(dir, metrics.FileName))
	ms := fams[metrics.CheckStatus].GetMetric()
	if len(ms) != 2 || promtest.Labels(ms[0])["host"] != "" || promtest.Labels(ms[1])["status"] != "fail" {
		t.Errorf("series %v", ms)
	}
	up := fams[metrics.HostUp].GetMetric()
	if len(up) != 2 || promtest.Labels(up[0])["host"] != "h1" || up[0].GetGauge().GetValue() != 0 || promtest.Labels(up[1])["host"] != `h\xff` {
		t.Errorf("up %v", up)
	}
	if d := fams[metrics.HostDuration].GetMetric(); len(d) != 2 || d[0].GetGauge().GetValue() != 3 {
		t.Errorf("durations %v", d)
	}
	if c := fams[metrics.ConfInfo].GetMetric(); len(c) != 1 {
		t.Errorf("conf info %v", c)
	}
	// Hosts counts the hosts given, as the report's last line does.
	for _, m := range fams[metrics.Hosts].GetMetric() {
		if n := m.GetGauge().GetValue(); (promtest.Labels(m)["status"] == "ok" && n != 2) || (promtest.Labels(m)["status"] == "fail" && n != 1) {
			t.Errorf("hosts %v = %v", promtest.Labels(m), n)
		}
	}
	// A report without an end (a zero Report) has no run time to give.
	if fams[metrics.LastRunTimestamp] != nil || fams[metrics.LastRunDuration] != nil {
		t.Errorf("a run time without Finished: %v", fams[metrics.LastRunTimestamp])
	}
}

// The folder is refused unless it is the caller's or root's, a real
// folder, and closed to others (the rules of preflight's textfile); a link
// at the file's name is replaced, never followed.
func TestTextfileFolderRules(t *testing.T) {
	rep := site.Report{Finished: time.Unix(1_800_000_000, 0)}
	promtest.FolderRules(t, metrics.FileName, func(dir string) error { return metrics.WriteTextfile(dir, rep) })
}

// The site's textfile and preflight's share a folder: each writer
// replaces its own file only.
func TestBesidePreflight(t *testing.T) {
	dir := t.TempDir()
	td, err := pmetrics.OpenTextfileDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer td.Close()
	t0 := time.Unix(1_800_000_000, 0)
	if err := td.Write(preflight.Report{Finished: t0}); err != nil {
		t.Fatal(err)
	}
	if err := metrics.Write(td, site.Report{Finished: t0.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	pf := promtest.ParseFile(t, filepath.Join(dir, pmetrics.FileName))
	sf := promtest.ParseFile(t, filepath.Join(dir, metrics.FileName))
	if pf[pmetrics.LastRunTimestamp] == nil || sf[metrics.LastRunTimestamp].GetMetric()[0].GetGauge().GetValue() != 1_800_000_060 {
		t.Errorf("preflight's %v, site's %v", pf[pmetrics.LastRunTimestamp], sf[metrics.LastRunTimestamp])
	}
	for n := range sf {
		if pf[n] != nil {
			t.Errorf("%s in both files", n)
		}
	}
}

// TestLabelsEscaped: label values are escaped as sshcheck.QuoteRemote
// escapes remote text: the exposition format escapes only backslash, quote
// and newline, so ESC, BEL or a C1 byte (0x9B) in a report made by a
// program, not by site.Run, would reach whoever reads the file.
func TestLabelsEscaped(t *testing.T) {
	rep := site.Report{
		Hosts: []site.Host{{Name: "h\x1b[2J", Status: preflight.OK}},
		Results: []site.Result{
			{Host: "h\x1b[2J", Check: "guest.login", Step: "1.5", Target: "g\x07\u009b\x9b\u00e9", Status: preflight.OK},
		},
	}
	dir := t.TempDir()
	if err := metrics.WriteTextfile(dir, rep); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, metrics.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(string(b), "\x1b\x07\u009b") || strings.Contains(string(b), "\x9b") {
		t.Errorf("a raw control character in the textfile:\n%q", b)
	}
	ms := promtest.ParseFile(t, filepath.Join(dir, metrics.FileName))[metrics.CheckStatus].GetMetric()
	if l := promtest.Labels(ms[0]); l["host"] != `h\x1b[2J` || l["target"] != `g\a\u009b\x9bé` {
		t.Errorf("labels %q", l)
	}
}
