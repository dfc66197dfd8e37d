package preflight_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/migratesetuptest"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/sdfacility/sdtest"
	"github.com/sfkvm/sfkvm/sshcheck"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
	"golang.org/x/crypto/ssh"
)

// TestManualTableAgrees parses the table of checks of preflight's page
// (examples/sfkvm/manual/preflight.md, printed by sfkvm help preflight): it lists
// every check, in order, with the step that Checks gives it, so that the
// page and the package cannot drift apart.
func TestManualTableAgrees(t *testing.T) {
	b, err := os.ReadFile("../examples/sfkvm/manual/preflight.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z]+\\.[a-z]+)` \\| ([0-9.]+) \\|")
	var got []string
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		got = append(got, m[1]+" "+m[2])
	}
	var want []string
	for _, c := range preflight.Checks {
		want = append(want, string(c.ID)+" "+string(c.Step))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("manual/preflight.md's table of checks:\n%s\nwant (preflight.Checks):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestJSONContract: the JSON form carries the schema, the check IDs, the
// status words and the error's text, never a Go value.
func TestJSONContract(t *testing.T) {
	dir := t.TempDir()
	rep := preflight.Run(context.Background(), preflight.Config{File: dir + "/none.conf", HostInfo: dir + "/hostinfo",
		SDTool: dir + "/sdtool", CFTool: dir + "/cftool", ProberOptions: sshcheck.Options{KnownHostsFiles: []string{dir + "/known_hosts"}}})
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema  string `json:"schema"`
		Results []map[string]any
		Counts  map[string]int
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "sfkvm.preflight/v1" || len(doc.Results) == 0 || doc.Counts["fail"] == 0 {
		t.Fatalf("report %s", b)
	}
	for _, r := range doc.Results {
		if preflight.Lookup(preflight.ID(r["check"].(string))) == nil {
			t.Errorf("unknown check %v", r["check"])
		}
		switch r["status"] {
		case "OK", "WARN", "FAIL", "SKIP":
		default:
			t.Errorf("status %v", r["status"])
		}
		if r["check"] == "conf.syntax" {
			if e, _ := r["error"].(string); !strings.Contains(e, "none.conf") {
				t.Errorf("conf.syntax error = %q, want the error's text", e)
			}
		}
	}
	if rs := rep.Of(preflight.ConfSyntax.ID); len(rs) != 1 || !errors.Is(rs[0].Err, os.ErrNotExist) {
		t.Errorf("conf.syntax = %+v, want the typed error", rs)
	}
}

// A guest that answers keyboard-interactive with a question that is not
// a password prompt: the login result quotes the prompt.
func TestLoginShowsTheRefusedPrompt(t *testing.T) {
	srv, err := sshtest.Start(sshtest.Config{
		Users:                   map[string]sshtest.User{"user1": {Password: "pw"}},
		KeyboardInteractiveOnly: true,
		Challenge: func(user string, ask ssh.KeyboardInteractiveChallenge, check func(string) error) error {
			_, err := ask("", "", []string{"Verification code: "}, []bool{false})
			return err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	routes := sshtest.Routes{"192.0.2.11:22": srv.Addr()}
	g := kvmguests.Guest{Name: "guest11", HostCFName: "cfhost1", ClusterName: "c1", CFName: "cfguest11", IP: netip.MustParseAddr("192.0.2.11"), User: "user1"}
	rep := preflight.Run(context.Background(), preflight.Config{
		Guests:   []kvmguests.Guest{g},
		Password: func(kvmguests.Guest) sshcheck.PasswordSource { return cipher.SecretFromString("pw") },
		ProberOptions: sshcheck.Options{KnownHostsFiles: []string{dir + "/known_hosts"}, GlobalKnownHostsFiles: []string{},
			HostKeyPolicy: sshcheck.TrustUnknown, DialContext: routes.DialContext},
		HostInfo: dir + "/hostinfo", Local: sdtest.New(sdtest.Config{}),
	})
	rs := rep.Of(preflight.GuestLogin.ID)
	if len(rs) != 1 || rs[0].Status != preflight.Fail || !strings.Contains(rs[0].Reason, `"Verification code:`) {
		t.Errorf("login = %+v, want a FAIL that quotes the prompt", rs)
	}
}

// A running transient guest that is not set up: the fix says how to make
// it persistent, never --restart alone (shutting it down deletes it).
func TestTransientGuestFix(t *testing.T) {
	dir := t.TempDir()
	info := dir + "/hostinfo"
	if err := migratesetup.Register(context.Background(), info, migratesetup.HostInfo{CFName: "cfhost1", IP: netip.MustParseAddr("192.0.2.1")}); err != nil {
		t.Fatal(err)
	}
	xml := "<domain type='test'><name>guest11</name><devices><disk type='file' device='disk'><target dev='vda' bus='virtio'/></disk></devices></domain>"
	for _, transient := range []bool{false, true} {
		store := migratesetuptest.New(map[string]*migratesetuptest.Domain{
			"guest11": {XML: xml, State: migratesetup.StateRunning, Transient: transient}})
		g := kvmguests.Guest{Name: "guest11", HostCFName: "cfhost1", ClusterName: "c1", CFName: "cfguest11", IP: netip.MustParseAddr("192.0.2.11"), User: "user1"}
		rep := preflight.Run(context.Background(), preflight.Config{Guests: []kvmguests.Guest{g}, Store: store, HostInfo: info,
			Local: sdtest.New(sdtest.Config{}), ProberOptions: sshcheck.Options{KnownHostsFiles: []string{dir + "/known_hosts"},
				DialContext: sshtest.Routes{}.DialContext, HandshakeTimeout: 1}})
		rs := rep.Of(preflight.GuestSetUp.ID)
		if len(rs) != 1 || rs[0].Status != preflight.Fail {
			t.Fatalf("transient %v: %+v", transient, rs)
		}
		if got := strings.Contains(rs[0].Fix, "virsh define"); got != transient || transient != errors.Is(rs[0].Err, migratesetup.ErrTransient) {
			t.Errorf("transient %v: fix %q, err %v", transient, rs[0].Fix, rs[0].Err)
		}
	}
}

// Guests given by the caller: the checks of a file have no file to check,
// and say so, while the guests are still checked.
func TestGivenGuestsSkipTheFile(t *testing.T) {
	dir := t.TempDir()
	g := kvmguests.Guest{Name: "guest11", HostCFName: "cfhost1", ClusterName: "c1", CFName: "cfguest11", IP: netip.MustParseAddr("192.0.2.11"), User: "user1"}
	rep := preflight.Run(context.Background(), preflight.Config{Guests: []kvmguests.Guest{g}, HostInfo: dir + "/hostinfo",
		Local: sdtest.New(sdtest.Config{}), ProberOptions: sshcheck.Options{KnownHostsFiles: []string{dir + "/known_hosts"},
			DialContext: sshtest.Routes{}.DialContext}})
	for _, id := range []preflight.ID{"conf.syntax", "conf.vendor", "conf.mode", "conf.copies"} {
		if rs := rep.Of(id); len(rs) != 1 || rs[0].Status != preflight.Skip || !strings.Contains(rs[0].Reason, "given by the caller") {
			t.Errorf("%s: %+v", id, rs)
		}
	}
	if rs := rep.Of(preflight.GuestHostKey.ID); len(rs) != 1 || rs[0].Target != "guest11 192.0.2.11" || rs[0].Status != preflight.Fail {
		t.Errorf("guest.hostkey: %+v", rs)
	}
}

// The fields added within v1: when the run began and ended, and the
// checksum of the file checked (left out when it could not be read).
func TestJSONRunFields(t *testing.T) {
	for _, tc := range []struct {
		file    string
		withSum bool
	}{{"testdata/ok.conf", true}, {"testdata/none.conf", false}} {
		rep := preflight.Run(context.Background(), preflight.Config{File: tc.file, HostInfo: "/nonexistent/hostinfo"})
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		json.Unmarshal(b, &doc)
		started, _ := doc["started"].(string)
		finished, _ := doc["finished"].(string)
		sum, hasSum := doc["conf_sha256"].(string)
		if started == "" || finished < started[:19] || hasSum != tc.withSum || (hasSum && len(sum) != 64) {
			t.Errorf("%s: started %q, finished %q, conf_sha256 %q (%v)", tc.file, started, finished, sum, hasSum)
		}
	}
	b, _ := json.Marshal(preflight.Report{})
	if strings.Contains(string(b), "started") || strings.Contains(string(b), "conf_sha256") {
		t.Errorf("a zero report: %s", b)
	}
}
