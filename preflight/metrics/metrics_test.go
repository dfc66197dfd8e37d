package metrics_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sfkvm/sfkvm/internal/promtest"
	"github.com/sfkvm/sfkvm/internal/safefile"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/preflight/lab"
	"github.com/sfkvm/sfkvm/preflight/metrics"
)

// labReport is preflight's report of the lab with one sudo broken and
// one password that expires in 5 days.
func labReport(t *testing.T) preflight.Report {
	t.Helper()
	l, err := lab.Start(context.Background(), t.TempDir(), io.Discard, lab.SudoNeedsPassword("guest12"), lab.PasswordExpiresIn("guest21", 5))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return preflight.Run(context.Background(), l.Config())
}

// TestTextfile writes the lab's report and reads it back: one series per
// result with its labels, the counts, the run's time and duration and the
// file's checksum, every one a gauge with help.
func TestTextfile(t *testing.T) {
	rep := labReport(t)
	dir := t.TempDir()
	if err := metrics.WriteTextfile(dir, rep); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, metrics.FileName)
	fams := promtest.ParseFile(t, path)
	promtest.Gauges(t, fams, metrics.Names)

	// Every result is one series, with its status, and nothing else.
	want := map[string]string{}
	for _, r := range rep.Results {
		want[string(r.Check)+"|"+string(r.Step)+"|"+r.Target] = strings.ToLower(string(r.Status))
	}
	got := map[string]string{}
	for _, m := range fams[metrics.CheckStatus].GetMetric() {
		l := promtest.Labels(m)
		if m.GetGauge().GetValue() != 1 || len(l) != 4 {
			t.Errorf("series %v = %v", l, m.GetGauge().GetValue())
		}
		got[l["check"]+"|"+l["step"]+"|"+l["target"]] = l["status"]
	}
	if len(got) != len(want) || len(rep.Results) != len(want) {
		t.Errorf("%d series for %d results (%d distinct)", len(got), len(rep.Results), len(want))
	}
	for k, s := range want {
		if got[k] != s {
			t.Errorf("%s: status %q, want %q", k, got[k], s)
		}
	}
	for k, s := range map[string]string{
		"guest.sudo|1.2|guest12 192.0.2.12":        "fail",
		"guest.passwordage|1.2|guest21 192.0.2.21": "warn",
		"conf.vendor|1.6|" + confTarget(rep):       "skip",
		"guest.login|1.5|guest11 192.0.2.11":       "ok",
	} {
		if got[k] != s {
			t.Errorf("%s: status %q, want %q", k, got[k], s)
		}
	}

	counts := map[string]float64{}
	for _, m := range fams[metrics.Results].GetMetric() {
		counts[promtest.Labels(m)["status"]] = m.GetGauge().GetValue()
	}
	c := rep.Counts
	if counts["ok"] != float64(c.OK) || counts["warn"] != float64(c.Warn) || counts["fail"] != float64(c.Fail) || counts["skip"] != float64(c.Skip) || len(counts) != 4 || c.Fail != 1 {
		t.Errorf("counts %v, want %+v", counts, c)
	}
	at := fams[metrics.LastRunTimestamp].GetMetric()[0].GetGauge().GetValue()
	if d := at - float64(rep.Finished.UnixMilli())/1e3; d < -0.001 || d > 0.001 {
		t.Errorf("timestamp %f, finished %v", at, rep.Finished)
	}
	if d := fams[metrics.LastRunDuration].GetMetric()[0].GetGauge().GetValue(); d <= 0 || d != rep.Duration().Seconds() {
		t.Errorf("duration %f, want %f", d, rep.Duration().Seconds())
	}
	info := fams[metrics.ConfInfo].GetMetric()
	if len(info) != 1 || promtest.Labels(info[0])["sha256"] != rep.ConfSHA256 || len(rep.ConfSHA256) != 64 {
		t.Errorf("conf info %v, checksum %q", info, rep.ConfSHA256)
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

func confTarget(rep preflight.Report) string {
	return rep.Of(preflight.ConfVendor.ID)[0].Target
}

// The names, types and help follow Prometheus' naming rules, as promlint
// checks them.
func TestLint(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	rep := preflight.Report{Started: t0, Finished: t0.Add(time.Second), ConfSHA256: strings.Repeat("a", 64),
		Results: []preflight.Result{{Check: "guest.sudo", Step: "1.2", Target: "g", Status: preflight.Fail}}, Counts: preflight.Counts{Fail: 1}}
	g, err := metrics.Gatherer(rep)
	if err != nil {
		t.Fatal(err)
	}
	promtest.Lint(t, g, metrics.Names)
}

// Two results of one check and target are one series, with the worse
// status: a duplicate would make the registry refuse the whole file.
func TestDuplicateTarget(t *testing.T) {
	rep := preflight.Report{Results: []preflight.Result{
		{Check: "guest.setup", Step: "3", Target: "(guests here)", Status: preflight.Skip},
		{Check: "guest.setup", Step: "3", Target: "(guests here)", Status: preflight.Fail},
		{Check: "guest.setup", Step: "3", Target: "(guests here)", Status: preflight.OK},
	}}
	dir := t.TempDir()
	if err := metrics.WriteTextfile(dir, rep); err != nil {
		t.Fatal(err)
	}
	ms := promtest.ParseFile(t, filepath.Join(dir, metrics.FileName))[metrics.CheckStatus].GetMetric()
	if len(ms) != 1 || promtest.Labels(ms[0])["status"] != "fail" {
		t.Errorf("series %v", ms)
	}
}

// The folder is refused unless it is the caller's or root's, a real
// folder, and closed to others; a link at the file's name is replaced,
// never followed.
func TestTextfileFolderRules(t *testing.T) {
	rep := preflight.Report{Finished: time.Unix(1_800_000_000, 0)}
	promtest.FolderRules(t, metrics.FileName, func(dir string) error { return metrics.WriteTextfile(dir, rep) })
}

// A write that fails leaves the last run's file as it was and no
// temporary file, and names the folder by its path, not /proc's.
func TestTextfileWriteFails(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Log("as root, a folder without write permission is still written: the read-only case is not shown")
	}
	dir := t.TempDir()
	td, err := metrics.OpenTextfileDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer td.Close()
	if err := td.Write(preflight.Report{Finished: time.Unix(1_800_000_000, 0)}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(td.Path())
	// A directory in the file's place: the rename over it fails.
	os.Remove(td.Path())
	os.Mkdir(td.Path(), 0o700)
	os.WriteFile(filepath.Join(td.Path(), "x"), before, 0o600)
	err = td.Write(preflight.Report{Finished: time.Unix(1_800_000_100, 0)})
	if err == nil || !strings.Contains(err.Error(), dir) || strings.Contains(err.Error(), "/proc/") {
		t.Errorf("err = %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("entries left: %v", ents)
	}
}

// ReadPrevious gives back what the last run wrote; no file is no
// previous run; a FIFO in its place is refused without blocking.
func TestReadPrevious(t *testing.T) {
	dir := t.TempDir()
	td, err := metrics.OpenTextfileDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer td.Close()
	if p, err := td.ReadPrevious(); err != nil || p != (metrics.Previous{}) {
		t.Errorf("no file: %+v %v", p, err)
	}
	fin := time.UnixMilli(1_800_000_000_123)
	sum := strings.Repeat("c", 64)
	if err := td.Write(preflight.Report{Started: fin.Add(-time.Second), Finished: fin, ConfSHA256: sum}); err != nil {
		t.Fatal(err)
	}
	if p, err := td.ReadPrevious(); err != nil || p.ConfSHA256 != sum || !p.Finished.Equal(fin) {
		t.Errorf("read back %+v %v", p, err)
	}
	os.WriteFile(td.Path(), []byte("not { metrics\n"), 0o644)
	if _, err := td.ReadPrevious(); err == nil || !strings.Contains(err.Error(), td.Path()) {
		t.Errorf("garbage: %v", err)
	}
	os.Remove(td.Path())
	if err := syscall.Mkfifo(td.Path(), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := td.ReadPrevious(); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, safefile.ErrNotRegular) {
			t.Errorf("FIFO: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ReadPrevious blocked on a FIFO")
	}
}

// WriteFile writes another gatherer's metrics beside FileName, under the
// folder's rules, and takes only a file name that the collector reads.
func TestTextfileWriteFile(t *testing.T) {
	dir := t.TempDir()
	td, err := metrics.OpenTextfileDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer td.Close()
	rep := preflight.Report{Finished: time.Unix(1_800_000_000, 0)}
	if err := td.Write(rep); err != nil {
		t.Fatal(err)
	}
	g, err := metrics.Gatherer(rep)
	if err != nil {
		t.Fatal(err)
	}
	if err := td.WriteFile("other.prom", g); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(dir, metrics.FileName))
	b, err := os.ReadFile(filepath.Join(dir, "other.prom"))
	if err != nil || string(a) != string(b) || len(b) == 0 {
		t.Errorf("other.prom %q (%v), want %q", b, err, a)
	}
	if fi, err := os.Stat(filepath.Join(dir, "other.prom")); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("other.prom: %v %v", fi, err)
	}
	for _, name := range []string{"", ".prom", "x.txt", "../x.prom", "sub/x.prom", "sfkvm.prom.tmp"} {
		if err := td.WriteFile(name, g); err == nil || !strings.Contains(err.Error(), "ending in .prom") {
			t.Errorf("%q: %v", name, err)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("folder holds %v", ents)
	}
}

// A target that is not UTF-8 (a guest name with such a byte is only a
// warning in kvmguests.conf) is written with the byte escaped: the
// registry refuses an invalid label value, and with it the whole file. A
// control character (ESC, a C1 byte), which the exposition format does not
// escape, is escaped too, as site's metrics escape it: the file is read on
// terminals.
func TestInvalidUTF8Target(t *testing.T) {
	for _, tc := range []struct{ target, want string }{
		{"guest\xff1 10.0.0.11", `guest\xff1 10.0.0.11`},
		{"guest\x1b[2J1 10.0.0.11", `guest\x1b[2J1 10.0.0.11`},
		{"guest\u009b1 10.0.0.11", `guest\u009b1 10.0.0.11`},
		{"guest11 10.0.0.11", "guest11 10.0.0.11"},
	} {
		rep := preflight.Report{Results: []preflight.Result{{Check: "guest.sudo", Step: "1.2", Target: tc.target, Status: preflight.OK}}}
		dir := t.TempDir()
		if err := metrics.WriteTextfile(dir, rep); err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(filepath.Join(dir, metrics.FileName))
		if strings.ContainsAny(string(raw), "\x1b\u009b") || !utf8.Valid(raw) {
			t.Errorf("%q: the file holds a raw control character or invalid UTF-8:\n%q", tc.target, raw)
		}
		ms := promtest.ParseFile(t, filepath.Join(dir, metrics.FileName))[metrics.CheckStatus].GetMetric()
		if len(ms) != 1 || promtest.Labels(ms[0])["target"] != tc.want {
			t.Errorf("%q: series %v, want target %q", tc.target, ms, tc.want)
		}
	}
}
