package rotate_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sfkvm/sfkvm/rotate"
)

// errorText compares errors by their text: all that JSON keeps of them.
var errorText = cmp.Comparer(func(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Error() == b.Error()
})

// TestJSONRoundTrip: a report read back from its JSON is the report,
// every error kept as its text, and no "<token" is HTML-escaped.
func TestJSONRoundTrip(t *testing.T) {
	rep := rotate.Report{File: "/etc/k.conf", OldHash: "aa", NewHash: "bb", Err: errors.New("copies differ: <a> & <b>"),
		Guests: []rotate.GuestResult{
			{Guest: "guest11", Address: "192.0.2.11", User: "user1", State: rotate.Rotated, OldToken: "<token hmac:11111111>",
				NewToken: "<token hmac:22222222>", Proven: "new password"},
			{Guest: "guest12", State: rotate.Mismatch, Stage: "new-login", OldToken: "<token hmac:33>", Err: errors.New("refused"), Detail: "d"},
		},
		Hosts: []rotate.HostResult{
			{Host: rotate.LocalHost, File: "/etc/k.conf", Holds: "new", Hash: "bb", Wrote: true},
			{Host: "host2", File: "/etc/k.conf", Holds: "unknown", Err: errors.New("timeout"), Diff: "-a\n+b\n"},
		},
		Resume: "sfkvm rotate --resume", Notes: []string{"lock kept"}}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back rotate.Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep, back, errorText); diff != "" {
		t.Errorf("round trip (-marshalled +read back):\n%s", diff)
	}
	enc, _ := rep.MarshalJSON()
	for _, esc := range []string{`\u003c`, `\u003e`, `\u0026`} {
		if strings.Contains(string(enc), esc) {
			t.Errorf("MarshalJSON escapes HTML (%s): %s", esc, enc)
		}
	}
	if err := json.Unmarshal([]byte(`{"schema":"sfkvm.rotate/v2"}`), &back); err == nil {
		t.Error("a report of another schema was read")
	}
}
