package preflight_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/preflight"
)

// report makes a report of results with their counts, run in d.
func report(d time.Duration, rs ...preflight.Result) preflight.Report {
	t0 := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	rep := preflight.Report{Schema: preflight.Schema, Results: rs, Started: t0, Finished: t0.Add(d)}
	for _, r := range rs {
		switch r.Status {
		case preflight.OK:
			rep.Counts.OK++
		case preflight.Warn:
			rep.Counts.Warn++
		case preflight.Fail:
			rep.Counts.Fail++
		case preflight.Skip:
			rep.Counts.Skip++
		}
	}
	return rep
}

func res(check preflight.ID, target string, s preflight.Status, reason string) preflight.Result {
	c := preflight.Lookup(check)
	return preflight.Result{Check: check, Step: c.Step, Title: c.Title, Target: target, Status: s, Reason: reason}
}

// TestWritePlugin: the return code of each state and the exact output.
func TestWritePlugin(t *testing.T) {
	ok := res("guest.login", "guest11 10.0.0.11", preflight.OK, "as user1")
	skip := res("conf.vendor", "/etc/kvmguests.conf", preflight.Skip, "sfkvmtool is not installed")
	warn := res("guest.passwordage", "guest12 10.0.0.12", preflight.Warn, "expires on 2026-12-05")
	fail := res("guest.sudo", "guest12 10.0.0.12", preflight.Fail, "sudo needs a password | \x1b[31mred\nline")
	for _, tc := range []struct {
		name string
		rep  preflight.Report
		code int
		want string
	}{
		{"ok", report(1204*time.Millisecond, ok, skip), preflight.PluginOK,
			"SFKVM PREFLIGHT OK - 1 OK, 1 SKIP | ok=1;;;0 warn=0;0;;0 fail=0;;0;0 skip=1;;;0 duration=1.204s;;;0\n"},
		{"warning", report(time.Second, ok, warn, skip), preflight.PluginWarning,
			"SFKVM PREFLIGHT WARNING - 1 WARN: guest.passwordage guest12 10.0.0.12 | ok=1;;;0 warn=1;0;;0 fail=0;;0;0 skip=1;;;0 duration=1.000s;;;0\n" +
				"WARN guest.passwordage guest12 10.0.0.12: expires on 2026-12-05\n"},
		{"critical", report(2*time.Second, ok, warn, fail), preflight.PluginCritical,
			"SFKVM PREFLIGHT CRITICAL - 1 FAIL, 1 WARN: guest.sudo guest12 10.0.0.12; guest.passwordage guest12 10.0.0.12 | ok=1;;;0 warn=1;0;;0 fail=1;;0;0 skip=0;;;0 duration=2.000s;;;0\n" +
				"FAIL guest.sudo guest12 10.0.0.12: sudo needs a password / [31mred line\n" +
				"WARN guest.passwordage guest12 10.0.0.12: expires on 2026-12-05\n"},
		{"many", report(0, fail, fail, fail, fail), preflight.PluginCritical,
			"SFKVM PREFLIGHT CRITICAL - 4 FAIL, 0 WARN: guest.sudo guest12 10.0.0.12; guest.sudo guest12 10.0.0.12; guest.sudo guest12 10.0.0.12; and 1 more | ok=0;;;0 warn=0;0;;0 fail=4;;0;0 skip=0;;;0 duration=0.000s;;;0\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			code, err := tc.rep.WritePlugin(&b)
			got := b.String()
			if tc.name == "many" {
				got = got[:strings.IndexByte(got, '\n')+1] // the long output is one line per FAIL
			}
			if err != nil || code != tc.code || got != tc.want {
				t.Errorf("code %d, err %v, output\n%q\nwant %d\n%q", code, err, got, tc.code, tc.want)
			}
		})
	}
	var b strings.Builder
	if code, err := preflight.WritePluginUnknown(&b, "--key: no such file | \x07"); code != preflight.PluginUnknown || err != nil ||
		b.String() != "SFKVM PREFLIGHT UNKNOWN - --key: no such file /\n" {
		t.Errorf("unknown: %d %v %q", code, err, b.String())
	}
}
