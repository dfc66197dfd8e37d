package promtest

import (
	"os"
	"path/filepath"
	"testing"
)

// TestParseFile: a textfile reads back as its families and labels.
func TestParseFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.prom")
	text := "# HELP a A gauge.\n# TYPE a gauge\na{check=\"guest.sudo\",host=\"\"} 1\n"
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	fams := ParseFile(t, p)
	m := fams["a"].GetMetric()
	if len(fams) != 1 || len(m) != 1 || m[0].GetGauge().GetValue() != 1 {
		t.Fatalf("families %v", fams)
	}
	Gauges(t, fams, []string{"a"})
	if l := Labels(m[0]); len(l) != 2 || l["check"] != "guest.sudo" || l["host"] != "" {
		t.Errorf("labels %v", l)
	}
}
