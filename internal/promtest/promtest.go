package promtest

import (
	"io"
	"os"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// ParseFile parses the textfile at path into its metric families, by
// name; a file that does not parse fails the test.
func ParseFile(t testing.TB, path string) map[string]*dto.MetricFamily {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fams, err := Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return fams
}

// Parse reads the text exposition format, as node_exporter's textfile
// collector and promtool do.
func Parse(r io.Reader) (map[string]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(r)
}

// Labels returns a series' labels by name. One that is "" is there with
// "" (the text format keeps it; Prometheus drops it when scraping).
func Labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// Gauges checks that fams holds exactly the families named, each a gauge
// with help: what both metrics writers promise of their textfile.
func Gauges(t testing.TB, fams map[string]*dto.MetricFamily, names []string) {
	t.Helper()
	for _, n := range names {
		f := fams[n]
		if f == nil {
			t.Fatalf("no %s in the textfile", n)
		}
		if f.GetType() != dto.MetricType_GAUGE || f.GetHelp() == "" {
			t.Errorf("%s: type %s, help %q", n, f.GetType(), f.GetHelp())
		}
	}
	if len(fams) != len(names) {
		t.Errorf("%d metric families, want %d", len(fams), len(names))
	}
}
