package enroll

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/rotate"
)

// The JSON form reads back into the same report (errors as their text),
// under the schema of its command.
func TestReportJSONRoundTrip(t *testing.T) {
	for _, rep := range []Report{
		{Command: "enroll", Address: "10.20.30.50", User: "pcllogin", UUID: "5f1c6d2e-8a41-4b7e-9c3d-2e6f0a1b7c95", Host: LocalHost,
			GuestKey: "SHA256:abc", Line: "guest11 cfhost1 cluster1 cfguest11 10.20.30.50 pcllogin <token hmac:1a2b>",
			Diff: "+guest11 ...\n", SudoersFile: "/etc/sudoers.d/sfkvm-pcllogin", Sudoers: SudoersRule("pcllogin", nil),
			Steps: []Step{{"lock", OK, "2 copies identical, locked", nil}, {"file", Failed, "some hosts do not hold the line", errors.New("copies differ & <more>")}},
			Hosts: []rotate.HostResult{{Host: LocalHost, File: "/etc/opt/FJSVcluster/etc/kvmguests.conf", Holds: "new", Hash: "ab", Wrote: true},
				{Host: "cfhost2", File: "/etc/opt/FJSVcluster/etc/kvmguests.conf", Holds: "old", Err: errors.New("refused")}},
			HostAddresses: []HostAddress{{LocalHost, "10.0.0.1:22", "registration of this host (/var/lib/sfkvm/hostinfo)"}, {"cfhost2", "10.0.0.2:22", "given"}},
			Preflight: []HostCheck{{Host: LocalHost, Counts: preflight.Counts{OK: 9, Skip: 2}},
				{Host: "cfhost2", Counts: preflight.Counts{OK: 7, Fail: 1}, Left: []string{"FAIL guest.login guest11 10.20.30.50: refused"}},
				{Host: "cfhost3", Err: errors.New("sfkvm preflight did not run")}},
			Resume: "sfkvm rotate --resume ...", Next: []string{"sfkvm preflight"}, Notes: []string{"a note"}, Seconds: 2.25,
			Err: errors.New("copies differ & <more>")},
		{Command: "unenroll", DryRun: true, Steps: []Step{{"file", Already, "no line for guest11", nil}}},
	} {
		rep.Facts.ClusterName = Fact{"cluster1", "cftool -c"}
		b, err := rep.MarshalJSON() // json.Marshal would escape HTML again; an Encoder need not
		if err != nil {
			t.Fatal(err)
		}
		if want := `"schema":"sfkvm.` + rep.Command + `/v1"`; !strings.Contains(string(b), want) || strings.Contains(string(b), `\u003c`) {
			t.Errorf("%s: lacks %s, or escapes HTML", b, want)
		}
		if len(rep.Preflight) > 0 && (!strings.Contains(string(b), `"host_addresses":[{"host":"this host","address":"10.0.0.1:22"`) ||
			!strings.Contains(string(b), `"counts":{"ok":7,"warn":0,"fail":1,"skip":0},"left":["FAIL guest.login`)) {
			t.Errorf("host_addresses or preflight missing: %s", b)
		}
		var back Report
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		b2, _ := back.MarshalJSON()
		if string(b) != string(b2) || back.Command != rep.Command || !reflect.DeepEqual(back.Facts, rep.Facts) ||
			!reflect.DeepEqual(back.HostAddresses, rep.HostAddresses) || len(back.Preflight) != len(rep.Preflight) {
			t.Errorf("round trip:\n%s\n%s", b, b2)
		}
	}
	var r Report
	if err := json.Unmarshal([]byte(`{"schema":"sfkvm.rotate/v1"}`), &r); err == nil {
		t.Error("a rotate report was read as enroll's")
	}
}
