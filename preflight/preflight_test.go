package preflight_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/migratesetuptest"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/preflight/lab"
	"github.com/sfkvm/sfkvm/sdfacility"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// labReport builds a lab with opts, prepares it and returns preflight's
// report of it.
func labReport(t *testing.T, opts ...lab.Option) preflight.Report {
	t.Helper()
	l, err := lab.Start(context.Background(), t.TempDir(), io.Discard, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return preflight.Run(context.Background(), l.Config())
}

func fails(rep preflight.Report) []preflight.Result {
	var out []preflight.Result
	for _, r := range rep.Results {
		if r.Status == preflight.Fail {
			out = append(out, r)
		}
	}
	return out
}

// TestClean: a lab without faults has no FAIL, and every result is OK but
// the ones that cannot be (no vendor checker; sealed tokens warn).
func TestClean(t *testing.T) {
	l, err := lab.Start(context.Background(), t.TempDir(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rep := preflight.Run(context.Background(), l.Config())
	for _, b := range l.Unexpected(rep) {
		t.Error(b)
	}
	if len(rep.Results) < 30 {
		t.Errorf("only %d results", len(rep.Results))
	}
	c := rep.Counts
	if c.OK+c.Warn+c.Fail+c.Skip != len(rep.Results) || rep.Schema != preflight.Schema {
		t.Errorf("counts %+v for %d results, schema %q", c, len(rep.Results), rep.Schema)
	}
}

// TestFaults injects one fault at a time; each yields exactly the expected
// FAIL result.
func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opt    lab.Option
		check  preflight.ID
		target string // prefix of the FAIL result's target
		reason string // in its reason
		fix    string // in its fix
	}{
		{"copy differs on one host", lab.CopyDiffers(), "conf.copies", "192.0.2.2", "differs", "scp -p"},
		{"changed host key", lab.ChangedHostKey("guest12"), "guest.hostkey", "guest12 ", "host key changed", "ssh-keygen -R"},
		{"cftool disagrees", lab.CFToolDisagrees("guest21"), "guest.names", "guest21 ", "the guest says cluster9/cfguest21", "guest-clustername cluster9"},
		{"agent TestFailed", lab.AgentTestFails(), "facility.ready", "this host", "TestFailed", "SA_ipmi"},
		{"running guest not set up", lab.NotSetUp("guest21"), "guest.setup", "guest21", "no host information disk", "sfkvm migratesetup -s guest21 --restart"},
		{"sudo without NOPASSWD", lab.SudoNeedsPassword("guest12"), "guest.sudo", "guest12 ", "sudo needs a password", "NOPASSWD"},
		{"guest reads another host", lab.ReadsOtherHost("guest11"), "guest.readshost", "guest11", "it reads cfhost2 at 192.0.2.2", "virsh dumpxml guest11"},
		{"guest reads this host with the other weight link", lab.ReadsOtherWeightLink("guest11"), "guest.readshost", "guest11", "(weight link off), but runs on this host", "virsh dumpxml guest11"},
		{"password expired", lab.PasswordExpiresIn("guest21", -3), "guest.passwordage", "guest21 ", "expired", "kvmguests.conf on every host"},
		{"password must be changed", lab.PasswordMustChange("guest11"), "guest.passwordage", "guest11 ", "must be changed at the next login", "sfcipher -c"},
		{"guest down", lab.Down("guest22"), "guest.hostkey", "guest22 ", "cannot reach the guest", "sshd listens at 192.0.2.22 port 22"},
		{"vendor token with a key", lab.VendorToken("guest12"), "guest.login", "guest12 ", "the password cannot be read", "--password-stdin"},
		{"sealed token moved from another guest", lab.MovedToken("guest12"), "guest.login", "guest12 ", "does not authenticate", "--guest-name guest12 --guest-ip 192.0.2.12 --guest-user user2"},
		{"login times out", lab.SlowAuth("guest21"), "guest.login", "guest21 ", "timed out", ""},
		{"other host floods cat", lab.HostFloods(), "conf.copies", "192.0.2.2", "stdout went over 1048576 bytes", ""},
		{"other host floods cat of its host information", lab.HostInfoFloods(), "host.weightlink", "(every host)", "stdout went over 65536 bytes", ""},
		{"running guest lost the disk live", lab.LiveLacksDisk("guest11"), "guest.setup", "guest11", "runs without the host information disk", "virsh start guest11"},
		{"node renamed after registering", lab.RenamedNode(), "host.registered", "", "registered as cfhost0, but cftool -l says this host is cfhost1", "sfkvm migratesetup -c -i 192.0.2.1"},
		{"other host's cat fails with escapes", lab.HostCatFails(), "conf.copies", "192.0.2.2", `exited 1: "cat: \x1b]0;owned\a\x1b[31mInput/output error"`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := labReport(t, tc.opt)
			fs := fails(rep)
			if len(fs) != 1 {
				t.Fatalf("%d FAIL results, want 1: %+v", len(fs), fs)
			}
			r := fs[0]
			if tc.check == "guest.login" && strings.Contains(tc.reason, "cannot be read") || strings.Contains(tc.reason, "authenticate") {
				// No connection was made: the host key must not read OK.
				for _, h := range rep.Of(preflight.GuestHostKey.ID) {
					if strings.HasPrefix(h.Target, tc.target) && h.Status != preflight.Skip {
						t.Errorf("host key result %s: %s, want SKIP", h.Target, h.Status)
					}
				}
			}
			if strings.ContainsAny(r.Reason+r.Detail+r.Fix, "\x1b\a\r") {
				t.Errorf("FAIL result carries raw control characters: %q", r.Reason+" | "+r.Detail+" | "+r.Fix)
			}
			if r.Check != tc.check || r.Step != preflight.Lookup(tc.check).Step || !strings.HasPrefix(r.Target, tc.target) ||
				!strings.Contains(r.Reason, tc.reason) || !strings.Contains(r.Fix, tc.fix) {
				t.Errorf("FAIL result = %s %s %q: reason %q, fix %q; want %s, target %q, reason ~%q, fix ~%q",
					r.Step, r.Check, r.Target, r.Reason, r.Fix, tc.check, tc.target, tc.reason, tc.fix)
			}
		})
	}
}

// TestVendorCheckerOnlyForItsFile: sfkvmtool -c takes no file name, so
// beside another file its verdict would be about the wrong file.
func TestVendorCheckerOnlyForItsFile(t *testing.T) {
	rep := preflight.Run(context.Background(), preflight.Config{File: "testdata/ok.conf", VendorChecker: "/bin/true", HostInfo: "/nonexistent/hostinfo"})
	rs := rep.Of(preflight.ConfVendor.ID)
	if len(rs) != 1 || rs[0].Status != preflight.Skip || !strings.Contains(rs[0].Reason, "checks only") {
		t.Errorf("results = %+v", rs)
	}
}

// The vendor's checker's output reaches the detail escaped and cut,
// whatever it prints.
func TestVendorCheckerOutputQuoted(t *testing.T) {
	tool := filepath.Join(t.TempDir(), "sfkvmtool")
	testenv.WriteExecutable(tool, []byte("#!/bin/sh\nprintf '\\033]0;title\\007ERROR: line 3\\n'; head -c 100000 /dev/zero | tr '\\000' x >&2; exit 1\n"), 0o700)
	rep := preflight.Run(context.Background(), preflight.Config{File: kvmguests.DefaultPath, VendorChecker: tool,
		Local: sdfacility.LocalRunner{}, HostInfo: "/nonexistent/hostinfo"})
	rs := rep.Of(preflight.ConfVendor.ID)
	if len(rs) != 1 || rs[0].Status != preflight.Fail {
		t.Fatalf("results = %+v", rs)
	}
	d := rs[0].Detail
	if strings.ContainsAny(d, "\x1b\a") || !strings.Contains(d, `stdout "\x1b]0;title\aERROR: line 3"`) || !strings.Contains(d, "more bytes not shown") || len(d) > 1000 {
		t.Errorf("detail (%d bytes) %.1000q", len(d), d)
	}
}

// TestCopiesReadsAFile: conf.copies reads this host's copy as compare
// does: a FIFO in its place is reported, not waited on.
func TestCopiesReadsAFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "kvmguests.conf")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan []preflight.Result, 1)
	go func() {
		cfg := lab2Hosts(fifo)
		done <- preflight.Run(t.Context(), cfg).Of(preflight.ConfCopies.ID)
	}()
	select {
	case rs := <-done:
		if len(rs) != 1 || rs[0].Status != preflight.Skip || !strings.Contains(rs[0].Reason, fifo+": is not a regular file (a FIFO)") {
			t.Errorf("results = %+v", rs)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("conf.copies blocked on a FIFO")
	}
}

// lab2Hosts checks file against one other host that is never reached.
func lab2Hosts(file string) preflight.Config {
	return preflight.Config{File: file, HostInfo: "/nonexistent/hostinfo",
		Hosts: []sshcheck.Target{{Name: "192.0.2.2", Address: "192.0.2.2", User: "root"}}}
}

// A password that expires within the warning window is a WARN with the
// date, and the window is the caller's.
func TestPasswordExpiresSoon(t *testing.T) {
	l, err := lab.Start(context.Background(), t.TempDir(), io.Discard, lab.PasswordExpiresIn("guest12", 5))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := l.Config()
	for _, tc := range []struct {
		warnDays int
		want     preflight.Status
	}{{0, preflight.Warn}, {3, preflight.OK}} {
		cfg.PasswordWarnDays = tc.warnDays
		rep := preflight.Run(context.Background(), cfg)
		rs := rep.Of(preflight.GuestPasswordAge.ID)
		if len(rs) != 4 {
			t.Fatalf("%d guest.passwordage results, want 4", len(rs))
		}
		for _, r := range rs {
			want := preflight.OK
			if strings.HasPrefix(r.Target, "guest12 ") {
				want = tc.want
			}
			if r.Status != want || (want == preflight.Warn && !strings.Contains(r.Reason, time.Now().UTC().AddDate(0, 0, 5).Format(time.DateOnly))) {
				t.Errorf("warn days %d: %s: %s %q, want %s naming the date", tc.warnDays, r.Target, r.Status, r.Reason, want)
			}
		}
	}
}

// TestDriftWarns: drift that may be meant is a WARN, one result, beside
// the lab's usual WARN for its sealed tokens; nothing FAILs.
func TestDriftWarns(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opt    lab.Option
		check  preflight.ID
		target string
		reason string
		fix    string
	}{
		{"domain not in the file", lab.UnlistedDomain("scratch"), "host.unlisted", "scratch", "not in kvmguests.conf", "add its line to kvmguests.conf on every host"},
		{"file changed since the last run", lab.ConfChangedSinceLastRun(), "conf.changed", "", "changed since the last run: sha256 ", "the next run takes this file as its baseline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := labReport(t, tc.opt)
			var warns []preflight.Result
			for _, r := range rep.Results {
				if r.Status == preflight.Warn && r.Check != preflight.ConfSyntax.ID {
					warns = append(warns, r)
				}
			}
			if len(warns) != 1 || rep.Failed() {
				t.Fatalf("%d WARN results, want 1, and %d FAIL: %+v", len(warns), rep.Counts.Fail, warns)
			}
			r := warns[0]
			if r.Check != tc.check || r.Step != "1.4" || !strings.HasPrefix(r.Target, tc.target) ||
				!strings.Contains(r.Reason, tc.reason) || !strings.Contains(r.Fix, tc.fix) {
				t.Errorf("WARN result = %s %s %q: reason %q, fix %q", r.Step, r.Check, r.Target, r.Reason, r.Fix)
			}
		})
	}
}

// conf.changed compares the file's checksum with the last run's: SKIP
// without one, OK when the same, and the report carries the checksum for
// the next run.
func TestConfChanged(t *testing.T) {
	b, err := os.ReadFile("testdata/ok.conf")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	want := hex.EncodeToString(sum[:])
	for _, tc := range []struct {
		prev   string
		status preflight.Status
	}{{"", preflight.Skip}, {want, preflight.OK}, {strings.Repeat("f", 64), preflight.Warn}} {
		rep := preflight.Run(context.Background(), preflight.Config{File: "testdata/ok.conf", HostInfo: "/nonexistent/hostinfo",
			FileOptions: kvmguests.Options{SkipFileChecks: true}, PreviousConfSHA256: tc.prev})
		rs := rep.Of(preflight.ConfChanged.ID)
		if rep.ConfSHA256 != want || len(rs) != 1 || rs[0].Status != tc.status {
			t.Errorf("previous %q: checksum %q, results %+v; want %s", tc.prev, rep.ConfSHA256, rs, tc.status)
		}
	}
}

// The report says when the run began and ended, by the configured clock.
func TestReportTimes(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	n := 0
	clock := func() time.Time { n++; return t0.Add(time.Duration(n-1) * time.Second) }
	rep := preflight.Run(context.Background(), preflight.Config{File: "testdata/ok.conf", HostInfo: "/nonexistent/hostinfo", Now: clock})
	if !rep.Started.Equal(t0) || rep.Duration() <= 0 {
		t.Errorf("started %v, finished %v", rep.Started, rep.Finished)
	}
}

// plainStore hides the in-memory store's LiveXML: a store that gives no
// live definition.
type plainStore struct{ migratesetup.Store }

// A store without live definitions checks the persistent one and says so;
// the in-memory store checks both.
func TestSetUpLiveOrNot(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []lab.Option
		want string
	}{
		{"live store", nil, "(persistent and live)"},
		{"store without live definitions", []lab.Option{lab.WithLibvirt(func(string) (migratesetup.Store, func(), error) {
			return plainStore{migratesetuptest.New(map[string]*migratesetuptest.Domain{
				"guest11": {XML: "<domain type='kvm'>\n  <name>guest11</name>\n  <devices>\n  </devices>\n</domain>\n", State: migratesetup.StateShutoff},
				"guest21": {XML: "<domain type='kvm'>\n  <name>guest21</name>\n  <devices>\n  </devices>\n</domain>\n", State: migratesetup.StateShutoff},
			})}, func() {}, nil
		})}, "(persistent definition; this store gives no live one)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := labReport(t, tc.opts...).Of(preflight.GuestSetUp.ID)
			if len(rs) != 2 {
				t.Fatalf("results %+v", rs)
			}
			for _, r := range rs {
				if r.Status != preflight.OK || !strings.HasSuffix(r.Reason, tc.want) {
					t.Errorf("%s: %s %q, want OK ending %q", r.Target, r.Status, r.Reason, tc.want)
				}
			}
		})
	}
}

// TestOneLoginPerGuest: every guest check shares one login per guest (a
// login is most of what a guest costs, on both sides), guest.readshost
// included: the guests that run here read their disk on it too.
func TestOneLoginPerGuest(t *testing.T) {
	l, err := lab.Start(context.Background(), t.TempDir(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	before := map[string]int{}
	for _, g := range l.Guests {
		before[g.Name] = g.Server.AuthAttempts(g.User)
	}
	rep := preflight.Run(context.Background(), l.Config())
	read := 0 // guest.readshost read a disk: the case that logged in twice
	for _, r := range rep.Of(preflight.GuestReadsHost.ID) {
		if r.Status == preflight.OK {
			read++
		}
	}
	for _, g := range l.Guests {
		if got := g.Server.AuthAttempts(g.User) - before[g.Name]; got != 1 {
			t.Errorf("%s (here %v): %d logins in one run, want 1", g.Name, g.Here, got)
		}
	}
	if read == 0 && l.Store != nil {
		t.Error("no guest.readshost read a disk: the lab's guests here should")
	}
}

// TestReadsHostNotReadSaysWhy: a guest that runs here but whose session
// stopped (sudo needs a password, so nothing runs as root) has its disk
// not read, and the SKIP names the check that stopped it.
func TestReadsHostNotReadSaysWhy(t *testing.T) {
	rep := labReport(t, lab.SudoNeedsPassword("guest21"))
	for _, r := range rep.Of(preflight.GuestReadsHost.ID) {
		if r.Target != "guest21" {
			continue
		}
		if r.Status != preflight.Skip || r.Reason != "not read: guest.sudo failed (its row says why)" {
			t.Errorf("guest21: %s %q", r.Status, r.Reason)
		}
		return
	}
	t.Error("no guest.readshost row for guest21, which runs here")
}

// TestOneGuest: Config.Guest checks that guest alone: the others are not
// logged in to and no row names them; the file's checks still run; a
// name no line holds is a FAIL.
func TestOneGuest(t *testing.T) {
	l, err := lab.Start(context.Background(), t.TempDir(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if len(l.Guests) < 2 {
		t.Fatalf("the lab has %d guests", len(l.Guests))
	}
	one := l.Guests[1]
	before := map[string]int{}
	for _, g := range l.Guests {
		before[g.Name] = g.Server.AuthAttempts(g.User)
	}
	cfg := l.Config()
	cfg.Guest = one.Name
	rep := preflight.Run(context.Background(), cfg)
	for _, g := range l.Guests {
		got := g.Server.AuthAttempts(g.User) - before[g.Name]
		switch {
		case g.Name == one.Name && got != 1:
			t.Errorf("%s: %d logins, want 1", g.Name, got)
		case g.Name != one.Name && got != 0:
			t.Errorf("%s, not the guest asked for: %d logins", g.Name, got)
		}
	}
	mine := 0
	for _, r := range rep.Results {
		name, _, _ := strings.Cut(r.Target, " ")
		for _, g := range l.Guests {
			if g.Name != one.Name && name == g.Name {
				t.Errorf("a row of another guest: %+v", r)
			}
		}
		if name == one.Name {
			mine++
		}
	}
	if mine < 5 || len(rep.Of(preflight.ConfSyntax.ID)) != 1 {
		t.Errorf("%d rows of %s, %d of conf.syntax", mine, one.Name, len(rep.Of(preflight.ConfSyntax.ID)))
	}

	cfg.Guest = "nosuchguest"
	rep = preflight.Run(context.Background(), cfg)
	hk := rep.Of(preflight.GuestHostKey.ID)
	if len(hk) != 1 || hk[0].Status != preflight.Fail || hk[0].Target != "nosuchguest" || !strings.Contains(hk[0].Reason, "no line of") {
		t.Errorf("an unknown guest: %+v", hk)
	}
	if n := len(rep.Of(preflight.GuestLogin.ID)); n != 0 {
		t.Errorf("an unknown guest: %d guest.login rows", n)
	}
}
