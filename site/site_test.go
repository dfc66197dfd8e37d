package site_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/site"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
	"golang.org/x/crypto/ssh/knownhosts"
)

func TestHealthySite(t *testing.T) {
	s := twoHosts()
	s.start(t)
	rep := site.Run(context.Background(), s.cfg)
	if rep.Failed() || rep.Counts.Skip != 0 {
		var b strings.Builder
		rep.WriteText(&b)
		t.Fatalf("a healthy site fails:\n%s", b.String())
	}
	// 2 site.host, site.conf, site.weightlink, 4 guests x 4 checks, then
	// the hosts' rows: 2 guest.setup + 4 guest.knowshost each.
	if got, want := len(rep.Results), 2+2+16+2*6; got != want {
		t.Errorf("%d rows, want %d", got, want)
	}
	if r := row(t, rep, site.GuestSetUpWhereRuns.ID, "guest04"); r.Reason != "runs on h2, set up there" {
		t.Errorf("site.setup of guest04: %+v", r)
	}
	if len(rep.Hosts) != 2 || rep.Hosts[1].CFName != "cfhost2" || rep.Hosts[1].WeightLink != "on" || rep.Hosts[0].ConfSHA256 == "" || rep.Hosts[0].Counts.OK != 6 {
		t.Errorf("hosts: %+v", rep.Hosts)
	}
	var hostRows int
	for _, r := range rep.Results {
		if r.Host == "h2" {
			hostRows++
		}
	}
	if hostRows != 6 {
		t.Errorf("%d rows of h2's preflight, want 6", hostRows)
	}
}

func TestUnreachableHostIsARow(t *testing.T) {
	s := twoHosts()
	s.hosts = append(s.hosts, &fakeHost{name: "h3", cfname: "cfhost3", ip: "192.0.2.3", down: true})
	s.start(t)
	s.cfg.Parallel = 1 // one at a time: the black hole still costs one handshake timeout only
	start := time.Now()
	rep := site.Run(context.Background(), s.cfg)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v with one hung host (handshake timeout 1s)", d)
	}
	r := row(t, rep, site.HostReached.ID, "h3")
	if r.Status != preflight.Fail || !strings.Contains(r.Reason, "192.0.2.3") {
		t.Errorf("hung host: %+v", r)
	}
	if row(t, rep, site.HostReached.ID, "h1").Status != preflight.OK || rep.Hosts[2].Status != preflight.Fail {
		t.Errorf("hosts: %+v", rep.Hosts)
	}
	// The others' checks still ran, and say what they could not see.
	if r := row(t, rep, site.ConfSame.ID, "/etc/opt/FJSVcluster/etc/kvmguests.conf"); r.Status != preflight.Fail || !strings.Contains(r.Detail, "h3: not reached (see its site.host row)") {
		t.Errorf("site.conf: %+v", r)
	}
	if r := row(t, rep, site.GuestSetUpWhereRuns.ID, "guest01"); r.Status != preflight.OK {
		t.Errorf("guest01 runs on a reached host: %+v", r)
	}
	if r := row(t, rep, site.GuestKnowsHosts.ID, "guest01"); r.Status != preflight.Skip || !strings.Contains(r.Reason, "h3 (not reached)") {
		t.Errorf("site.knowshost: %+v", r)
	}
}

func TestBadReports(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply sshtest.Reply
		want  error
		words string
	}{
		{"garbage", sshtest.Reply{Stdout: "Segmentation fault\x1b[2J"}, site.ErrNotReport, `stdout began "Segmentation fault\x1b[2J"`},
		{"no schema", sshtest.Reply{Stdout: `{"results":[]}`, ExitStatus: 1}, site.ErrNotReport, `no "schema"`},
		{"other schema", sshtest.Reply{Stdout: `{"schema":"sfkvm.preflight/v2","results":[]}`}, site.ErrSchema, `"sfkvm.preflight/v2", where this sfkvm reads sfkvm.preflight/v1`},
		{"not installed", sshtest.NotFound("sfkvm"), site.ErrPreflight, "give its path (--sfkvm)"},
		{"usage", sshtest.Reply{Stderr: "sfkvm preflight: --key: no such file\n", ExitStatus: 66}, site.ErrPreflight, `exited 66: "sfkvm preflight: --key: no such file"`},
		{"status with a space", sshtest.Reply{Stdout: `{"schema":"sfkvm.preflight/v1","results":[{"check":"guest.login","status":"FAIL "}],"counts":{}}`, ExitStatus: 1},
			site.ErrReportInvalid, `row 1: status "FAIL " is none of OK, WARN, FAIL, SKIP`},
		{"absurd count", sshtest.Reply{Stdout: `{"schema":"sfkvm.preflight/v1","results":[],"counts":{"ok":9223372036854775807}}`},
			site.ErrReportInvalid, `counts.ok is "9223372036854775807"`},
		{"many empty rows", sshtest.Reply{Stdout: `{"schema":"sfkvm.preflight/v1","results":[` + strings.Repeat("{},", 300_000) + `{}]}`},
			site.ErrReportInvalid, `row 1: status ""`},
		{"flood", sshtest.Reply{Stream: func(stdout, _ io.Writer) {
			b := make([]byte, 64<<10)
			for {
				if _, err := stdout.Write(b); err != nil {
					return
				}
			}
		}}, nil, "stdout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := twoHosts()
			s.hosts[1].preflight = &tc.reply
			s.start(t)
			s.cfg.MaxReport = 1 << 20
			rep := site.Run(context.Background(), s.cfg)
			r := row(t, rep, site.HostReached.ID, "h2")
			if r.Status != preflight.Fail || !strings.Contains(r.Reason, tc.words) {
				t.Errorf("reason %q, want %q in it", r.Reason, tc.words)
			}
			if tc.want != nil && !strings.Contains(r.Reason, tc.want.Error()) {
				t.Errorf("reason %q does not say %q", r.Reason, tc.want)
			}
			if row(t, rep, site.HostReached.ID, "h1").Status != preflight.OK {
				t.Errorf("h1 failed too: %+v", row(t, rep, site.HostReached.ID, "h1"))
			}
		})
	}
}

func TestFileDiffers(t *testing.T) {
	s := twoHosts()
	s.start(t)
	s.hosts[1].conf = s.confText() + "# edited on h2\n"
	rep := site.Run(context.Background(), s.cfg)
	r := row(t, rep, site.ConfSame.ID, "/etc/opt/FJSVcluster/etc/kvmguests.conf")
	if r.Status != preflight.Fail || r.Reason != "2 different copies on 2 hosts" || strings.Count(r.Detail, "sha256 ") != 2 || !strings.Contains(r.Detail, ": h2") {
		t.Errorf("site.conf: %+v", r)
	}
	if rep.Hosts[0].ConfSHA256 == rep.Hosts[1].ConfSHA256 {
		t.Error("one checksum for two files")
	}
}

func TestGuestKeyDiffers(t *testing.T) {
	s := twoHosts()
	other := newGuests(1, "x")[0].key
	s.hosts[1].keys = map[string]string{}
	for _, g := range s.guests {
		s.hosts[1].keys[g.ip] = g.key
	}
	s.hosts[1].keys[s.guests[2].ip] = other // guest03 rebuilt and re-trusted on h2 only
	delete(s.hosts[1].keys, s.guests[3].ip) // guest04 never trusted on h2
	s.start(t)
	rep := site.Run(context.Background(), s.cfg)
	if r := row(t, rep, site.GuestKeySame.ID, "guest03 198.51.100.3"); r.Status != preflight.Fail || !strings.Contains(r.Reason, "2 different keys") ||
		!strings.Contains(r.Detail, "SHA256:") || !strings.Contains(r.Detail, ": h2") {
		t.Errorf("rebuilt guest: %+v", r)
	}
	if r := row(t, rep, site.GuestKeySame.ID, "guest04 198.51.100.4"); r.Status != preflight.Fail || !strings.Contains(r.Reason, "not in root's known_hosts on h2") {
		t.Errorf("untrusted guest: %+v", r)
	}
	if r := row(t, rep, site.GuestKeySame.ID, "guest01 198.51.100.1"); r.Status != preflight.OK {
		t.Errorf("guest01: %+v", r)
	}
}

func TestRegistrationAndPlacement(t *testing.T) {
	s := twoHosts()
	s.hosts[1].weightOff = true
	s.guests = append(s.guests, fakeGuest{name: "guest05", host: "cfhost9", ip: "198.51.100.5", key: s.guests[0].key})
	s.hosts[0].running = append(s.hosts[0].running, "guest02") // and on h2
	s.hosts[1].notSetUp = "guest04"
	s.hosts[0].unknownHost = "guest01"
	s.start(t)
	rep := site.Run(context.Background(), s.cfg)
	if r := row(t, rep, site.WeightLinkSame.ID, "(every host)"); r.Status != preflight.Fail || r.Reason != "-w on: h1; -w off: h2" {
		t.Errorf("site.weightlink: %+v", r)
	}
	if r := row(t, rep, site.HostCFNameKnown.ID, "guest05"); r.Status != preflight.Fail || !strings.Contains(r.Reason, "cfhost9 is no registered host (registered: cfhost1, cfhost2)") {
		t.Errorf("site.hostcfname: %+v", r)
	}
	if r := row(t, rep, site.HostCFNameKnown.ID, "guest02"); r.Status != preflight.OK {
		t.Errorf("site.hostcfname guest02: %+v", r)
	}
	if r := row(t, rep, site.GuestSetUpWhereRuns.ID, "guest02"); r.Status != preflight.Fail || !strings.Contains(r.Reason, "several hosts at once: h1, h2") {
		t.Errorf("running twice: %+v", r)
	}
	if r := row(t, rep, site.GuestSetUpWhereRuns.ID, "guest04"); r.Status != preflight.Fail || r.Reason != "on h2: no host information disk" || !strings.Contains(r.Fix, "migratesetup -s guest04") {
		t.Errorf("not set up: %+v", r)
	}
	if r := row(t, rep, site.GuestSetUpWhereRuns.ID, "guest05"); r.Status != preflight.Fail || r.Reason != "runs on no host of the site" {
		t.Errorf("running nowhere: %+v", r)
	}
	if r := row(t, rep, site.GuestKnowsHosts.ID, "guest01"); r.Status != preflight.Fail || !strings.Contains(r.Reason, "192.0.2.1 (h1 says: host key not in root's known_hosts)") {
		t.Errorf("site.knowshost: %+v", r)
	}
	if r := row(t, rep, site.GuestKnowsHosts.ID, "guest02"); r.Status != preflight.OK {
		t.Errorf("site.knowshost guest02: %+v", r)
	}
}

func TestMissingFiles(t *testing.T) {
	s := twoHosts()
	s.hosts[1].noInfo = true
	s.hosts[1].noConf = true
	s.start(t)
	rep := site.Run(context.Background(), s.cfg)
	if r := row(t, rep, site.WeightLinkSame.ID, "(every host)"); r.Status != preflight.Fail || !strings.Contains(r.Detail, "h2: cat /var/lib/sfkvm/hostinfo exited 1") {
		t.Errorf("site.weightlink: %+v", r)
	}
	if r := row(t, rep, site.ConfSame.ID, "/etc/opt/FJSVcluster/etc/kvmguests.conf"); r.Status != preflight.Fail || !strings.Contains(r.Reason, "not read on 1 of 2") {
		t.Errorf("site.conf: %+v", r)
	}
	// guest02's host is not registered: h2 could not be read.
	if r := row(t, rep, site.HostCFNameKnown.ID, "guest02"); r.Status != preflight.Fail || !strings.Contains(r.Reason, "the registration of 1 host not read") {
		t.Errorf("site.hostcfname: %+v", r)
	}
	if r := row(t, rep, site.GuestKeySame.ID, "guest01 198.51.100.1"); r.Status != preflight.Fail || !strings.Contains(r.Reason, "known_hosts not read on h2") {
		t.Errorf("site.guestkey: %+v", r)
	}
}

func TestNoHostsAndNoProber(t *testing.T) {
	rep := site.Run(context.Background(), site.Config{})
	if rep.Schema != site.Schema || len(rep.Hosts) != 0 {
		t.Errorf("%+v", rep)
	}
	b, err := json.Marshal(rep)
	if err != nil || !strings.Contains(string(b), `"hosts":[]`) {
		t.Errorf("%s %v", b, err)
	}
}

func TestHostTextIsEscaped(t *testing.T) {
	s := twoHosts()
	s.hosts[1].preflight = &sshtest.Reply{Stdout: `{"schema":"sfkvm.preflight/v1","results":[{"check":"guest.login","step":"1.5","title":"login","target":"g\u001b[2J","status":"FAIL","reason":"bad\u009b","detail":"a\nb\u0007"}],"counts":{"fail":1}}`, ExitStatus: 1}
	s.start(t)
	rep := site.Run(context.Background(), s.cfg)
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\x07\u009b") || !strings.Contains(out, `g\x1b[2J`) || !strings.Contains(out, "| b\\a") {
		t.Errorf("escapes reach the terminal:\n%s", out)
	}
}

// root's known_hosts is read as ssh-keygen -F reads it: hashed names, one
// line for several names, patterns and their negations, markers (a revoked
// key is a key of its own), comments; a missing file knows no guest.
func TestKnownHostsForms(t *testing.T) {
	s := twoHosts()
	g := s.guests
	other := newGuests(1, "x")[0].key
	s.hosts[1].knownHosts = &sshtest.Reply{Stdout: "# root's known_hosts\n" +
		knownhosts.HashHostname(g[0].ip) + " " + g[0].key + "\n" +
		"@revoked " + g[0].ip + " " + other + "\n" +
		"otherhost," + strings.ToUpper("G") + "X," + g[1].ip + " " + g[1].key + "\n" +
		"198.51.100.*,!" + g[3].ip + " " + g[2].key + "\n" + // a pattern: guest03's key for all but guest04
		"198.51.100.?,!" + g[3].ip + " " + g[2].key + "\n" +
		"garbage\n"}
	s.start(t)
	rep := site.Run(context.Background(), s.cfg)
	if r := row(t, rep, site.GuestKeySame.ID, "guest01 198.51.100.1"); r.Status != preflight.Fail || !strings.Contains(r.Detail, "@revoked SHA256:") {
		t.Errorf("a hashed entry and a revoked key on h2 only: %+v", r)
	}
	if r := row(t, rep, site.GuestKeySame.ID, "guest02 198.51.100.2"); r.Status != preflight.Fail || !strings.Contains(r.Reason, "2 different keys") {
		t.Errorf("guest02 named on a line of several names, and matched by a pattern: %+v", r)
	}
	if r := row(t, rep, site.GuestKeySame.ID, "guest03 198.51.100.3"); r.Status != preflight.OK {
		t.Errorf("guest03 by pattern: %+v", r)
	}
	if r := row(t, rep, site.GuestKeySame.ID, "guest04 198.51.100.4"); r.Status != preflight.Fail || !strings.Contains(r.Reason, "not in root's known_hosts on h2") {
		t.Errorf("guest04 negated: %+v", r)
	}

	s = twoHosts()
	s.hosts[1].knownHosts = &sshtest.Reply{Stderr: "cat: /root/.ssh/known_hosts: No such file or directory\n", ExitStatus: 1}
	s.start(t)
	rep = site.Run(context.Background(), s.cfg)
	if r := row(t, rep, site.GuestKeySame.ID, "guest01 198.51.100.1"); r.Status != preflight.Fail || !strings.Contains(r.Reason, "not in root's known_hosts on h2") {
		t.Errorf("no known_hosts: %+v", r)
	}
}

// A host whose preflight never ends costs HostTimeout, and the others
// are reported as usual.
func TestHungPreflight(t *testing.T) {
	s := twoHosts()
	s.hosts[0].preflight = &sshtest.Reply{Hang: true}
	s.start(t) // the prober's CommandTimeout is 10s
	s.cfg.HostTimeout = 500 * time.Millisecond
	start := time.Now()
	rep := site.Run(context.Background(), s.cfg)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v with HostTimeout 0.5s", d)
	}
	if r := row(t, rep, site.HostReached.ID, "h1"); r.Status != preflight.Fail || !strings.Contains(r.Reason, "timed out") && !strings.Contains(r.Reason, "deadline") {
		t.Errorf("h1: %+v", r)
	}
	if r := row(t, rep, site.HostReached.ID, "h2"); r.Status != preflight.OK || rep.Hosts[1].Seconds <= 0 {
		t.Errorf("h2: %+v %+v", r, rep.Hosts[1])
	}
}

// A guest seen on no host is a SKIP when some host's domains could not be
// listed (no libvirt there): it may run there.
func TestSetUpUnseen(t *testing.T) {
	s := twoHosts()
	s.hosts[1].running = nil
	s.hosts[1].preflight = &sshtest.Reply{Stdout: `{"schema":"sfkvm.preflight/v1","results":[{"check":"guest.setup","step":"3","title":"guest set up","target":"(guests here)","status":"SKIP","reason":"libvirt cannot be reached"}],"counts":{"skip":1}}`}
	s.start(t)
	rep := site.Run(context.Background(), s.cfg)
	if r := row(t, rep, site.GuestSetUpWhereRuns.ID, "guest02"); r.Status != preflight.Skip || r.Reason != "runs on none of the hosts seen; not seen: h2 (its domains were not listed)" {
		t.Errorf("guest02: %+v", r)
	}
	if r := row(t, rep, site.GuestSetUpWhereRuns.ID, "guest01"); r.Status != preflight.OK {
		t.Errorf("guest01: %+v", r)
	}
}

// TestWriteTextBuffered: a large report is written in a few calls, not a
// call per cell (65,000 rows made as many writes to the terminal).
func TestWriteTextBuffered(t *testing.T) {
	rep := site.Report{}
	for i := range 1000 {
		rep.Results = append(rep.Results, site.Result{Host: "10.0.0.1", Check: "guest.login", Step: "1.5",
			Title: "guest login", Target: fmt.Sprintf("guest%04d", i), Status: preflight.OK, Reason: "as root"})
	}
	var w testenv.WriteCounter
	if err := rep.WriteText(&w); err != nil {
		t.Fatal(err)
	}
	if w.Calls > 4 || w.Bytes < 1000*40 {
		t.Errorf("%d write calls for %d bytes", w.Calls, w.Bytes)
	}
}

// TestLongListsAreCapped: a list in a site check's reason names at most a
// few items and counts the rest; 25,000 FAIL rows of one guest with their
// reasons made one line of 50 MB.
func TestLongListsAreCapped(t *testing.T) {
	s := twoHosts()
	var rs []preflight.Result
	for i := range 2000 {
		rs = append(rs, preflight.Result{Check: preflight.GuestKnowsHost.ID, Step: "5", Target: fmt.Sprintf("guest01 -> 10.0.%d.%d", i/256, i%256),
			Status: preflight.Fail, Reason: strings.Repeat("r", 1000)})
	}
	b, err := json.Marshal(preflight.Report{Schema: preflight.Schema, Results: rs, Counts: preflight.Counts{Fail: len(rs)}})
	if err != nil {
		t.Fatal(err)
	}
	s.hosts[1].preflight = &sshtest.Reply{Stdout: string(b), ExitStatus: 1}
	s.start(t)
	rep := site.Run(context.Background(), s.cfg)
	r := row(t, rep, site.GuestKnowsHosts.ID, "guest01")
	if r.Status != preflight.Fail || len(r.Reason) > 64<<10 || !strings.HasSuffix(r.Reason, "; and 1980 more") {
		t.Errorf("site.knowshost: %s, reason of %d bytes ending %q", r.Status, len(r.Reason), r.Reason[max(0, len(r.Reason)-40):])
	}
}
