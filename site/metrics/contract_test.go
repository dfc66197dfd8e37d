package metrics_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/site/metrics"
)

// TestManualListsMetrics: the table of site metrics in site's page
// (examples/sfkvm/manual/site.md) names every metric of the textfile and
// no other, so that the page and the contract cannot drift apart.
func TestManualListsMetrics(t *testing.T) {
	b, err := os.ReadFile("../../examples/sfkvm/manual/site.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| (`sfkvm_site_[a-z_]+`(?:, `sfkvm_site_[a-z_]+`)*) \\|")
	var got []string
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		for _, n := range strings.Split(m[1], ", ") {
			got = append(got, strings.Trim(n, "`"))
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, metrics.Names) {
		t.Errorf("manual/site.md's table of site metrics: %v\nwant (metrics.Names): %v", got, metrics.Names)
	}
}
