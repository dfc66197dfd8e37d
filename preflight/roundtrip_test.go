package preflight_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// errorText compares errors by their text: all that JSON keeps of them.
var errorText = cmp.Comparer(func(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Error() == b.Error()
})

// TestJSONRoundTrip: a report read back from its JSON is the report,
// errors included (as their text), and the JSON has no HTML escapes and
// its duration in seconds.
func TestJSONRoundTrip(t *testing.T) {
	dir := t.TempDir()
	rep := preflight.Run(context.Background(), preflight.Config{File: dir + "/none.conf", HostInfo: dir + "/hostinfo",
		SDTool: dir + "/sdtool", CFTool: dir + "/cftool", ProberOptions: sshcheck.Options{KnownHostsFiles: []string{dir + "/known_hosts"}}})
	rep.Results = append(rep.Results, preflight.Result{Check: "conf.syntax", Step: "1.4", Title: "t", Target: "<a&b>",
		Status: preflight.Fail, Reason: "r", Err: errors.New("<token hmac:1> & more")})
	withErr := 0
	for _, r := range rep.Results {
		if r.Err != nil {
			withErr++
		}
	}
	if withErr < 2 {
		t.Fatalf("only %d results with an error: the test needs some", withErr)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back preflight.Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep, back, errorText, cmpopts.IgnoreUnexported(preflight.Result{})); diff != "" {
		t.Errorf("round trip (-marshalled +read back):\n%s", diff)
	}
	enc, _ := rep.MarshalJSON()
	for _, esc := range []string{`\u003c`, `\u003e`, `\u0026`} {
		if strings.Contains(string(enc), esc) {
			t.Errorf("MarshalJSON escapes HTML (%s): %s", esc, enc)
		}
	}
	var doc map[string]any
	json.Unmarshal(b, &doc)
	if secs, ok := doc["duration_seconds"].(float64); !ok || math.Abs(secs-rep.Duration().Seconds()) > 1e-9 {
		t.Errorf("duration_seconds = %v, want %v", doc["duration_seconds"], rep.Duration().Seconds())
	}
}
