package site_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/site"
)

// TestManualTableAgrees: the table of site checks in site's page
// (examples/sfkvm/manual/site.md) lists every check of Checks, in order,
// with its step.
func TestManualTableAgrees(t *testing.T) {
	b, err := os.ReadFile("../examples/sfkvm/manual/site.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `(site\\.[a-z]+)` \\| step ([0-9.]+|-) \\|")
	var got, want []string
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		got = append(got, m[1]+" "+m[2])
	}
	for _, c := range site.Checks {
		step := string(c.Step)
		if step == "" {
			step = "-"
		}
		want = append(want, string(c.ID)+" "+step)
		if site.Lookup(c.ID) != c || preflight.Lookup(c.ID) != nil {
			t.Errorf("%s: Lookup, or an ID of preflight's", c.ID)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("manual/site.md's table of site checks:\n%s\nwant (site.Checks):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestJSONContract: the field names and words that the package doc
// promises.
func TestJSONContract(t *testing.T) {
	s := twoHosts()
	s.hosts[1].notSetUp = "guest02"
	s.start(t)
	rep := site.Run(context.Background(), s.cfg)
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema  string           `json:"schema"`
		Hosts   []map[string]any `json:"hosts"`
		Results []map[string]any `json:"results"`
		Counts  map[string]int   `json:"counts"`
		Started string           `json:"started"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "sfkvm.site/v1" || len(doc.Hosts) != 2 || doc.Counts["fail"] != 2 || doc.Started == "" {
		t.Errorf("%s", b)
	}
	for _, k := range []string{"name", "address", "status", "reason", "cfname", "weight_link", "conf_sha256", "hostinfo_sha256", "counts", "duration_seconds"} {
		if _, ok := doc.Hosts[0][k]; !ok {
			t.Errorf("hosts[0] has no %q: %v", k, doc.Hosts[0])
		}
	}
	for _, k := range []string{"host", "check", "step", "title", "target", "status", "reason"} {
		if _, ok := doc.Results[0][k]; !ok {
			t.Errorf("results[0] has no %q: %v", k, doc.Results[0])
		}
	}
	var fails []string
	for _, r := range doc.Results {
		if r["status"] == "FAIL" {
			fails = append(fails, r["host"].(string)+" "+r["check"].(string)+" "+r["fix"].(string))
		}
	}
	want := " site.setup sfkvm migratesetup -s guest02 --restart\nh2 guest.setup sfkvm migratesetup -s guest02 --restart"
	if strings.Join(fails, "\n") != want {
		t.Errorf("FAIL rows:\n%s\nwant\n%s", strings.Join(fails, "\n"), want)
	}
}

// TestJSONRoundTrip: a report read back from its JSON is the report, and
// the JSON has no HTML escapes and its duration in seconds.
func TestJSONRoundTrip(t *testing.T) {
	s := twoHosts()
	s.hosts[1].notSetUp = "guest02"
	s.start(t)
	rep := site.Run(context.Background(), s.cfg)
	rep.Results = append(rep.Results, site.Result{Host: "h<1>", Check: "guest.login", Status: preflight.Fail,
		Reason: "a & b", Error: "<token hmac:1>"})
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back site.Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep, back); diff != "" {
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
