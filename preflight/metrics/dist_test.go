package metrics_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/preflight/metrics"
	"github.com/sfkvm/sfkvm/site"
	sitemetrics "github.com/sfkvm/sfkvm/site/metrics"
)

const rulesDir = "../../dist/prometheus"

// ruleFiles are the alerting rules of each textfile (preflight's, and
// sfkvm site's of package site/metrics), their promtool unit tests, and
// the alerts preflight's and site's pages (examples/sfkvm/manual) promise in each.
var ruleFiles = []struct {
	rules, tests string
	alerts       []string
}{
	{"sfkvm-preflight.rules.yml", "sfkvm-preflight.rules.test.yml", []string{"SfkvmPreflightCheckFailed", "SfkvmPreflightStale", "SfkvmGuestPasswordExpiresSoon"}},
	{"sfkvm-site.rules.yml", "sfkvm-site.rules.test.yml", []string{"SfkvmSiteHostUnreachable", "SfkvmSiteCheckFailed", "SfkvmSiteStale", "SfkvmSiteConfDiffers"}},
}

// The labels of each metric the textfiles hold, and the ones Prometheus
// adds when it scrapes node_exporter.
var metricLabels = map[string][]string{
	metrics.CheckStatus:      {"check", "step", "target", "status"},
	metrics.Results:          {"status"},
	metrics.LastRunTimestamp: {},
	metrics.LastRunDuration:  {},
	metrics.ConfInfo:         {"sha256"},

	sitemetrics.CheckStatus:      {"check", "step", "host", "target", "status"},
	sitemetrics.HostUp:           {"host"},
	sitemetrics.HostDuration:     {"host"},
	sitemetrics.ConfInfo:         {"host", "sha256"},
	sitemetrics.Results:          {"status"},
	sitemetrics.Hosts:            {"status"},
	sitemetrics.LastRunTimestamp: {},
	sitemetrics.LastRunDuration:  {},
}
var scrapeLabels = []string{"instance", "job"}

// emptyLabels are labels that a series may lack: the textfile writes them
// as "" (a site check's host, site.host's step), which Prometheus drops.
var emptyLabels = map[string][]string{sitemetrics.CheckStatus: {"host", "step"}}

// allNames is every metric name the two textfiles may hold.
var allNames = slices.Concat(metrics.Names, sitemetrics.Names)

// knownCheck reports whether id is a check of preflight's or of the site's.
func knownCheck(id string) bool {
	return preflight.Lookup(preflight.ID(id)) != nil || site.Lookup(preflight.ID(id)) != nil
}

var (
	metricName = regexp.MustCompile(`\bsfkvm_[a-z0-9_]+\b`)
	matcher    = regexp.MustCompile(`\b([a-z_][a-z0-9_]*)\s*(?:=~|!=|!~|=)\s*"([^"]*)"`)
	byClause   = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
)

// checkExpr says what is wrong with a PromQL expression over our metrics:
// a metric the writer does not emit, a label it does not have, a check ID
// or status that does not exist.
func checkExpr(expr string) []string {
	var bad []string
	names := metricName.FindAllString(expr, -1)
	if len(names) == 0 {
		bad = append(bad, "names no sfkvm metric")
	}
	known := slices.Clone(scrapeLabels)
	for _, n := range names {
		ls, ok := metricLabels[n]
		if !ok || !slices.Contains(allNames, n) {
			bad = append(bad, "the textfile has no metric "+n)
		}
		known = append(known, ls...)
	}
	for _, m := range matcher.FindAllStringSubmatch(expr, -1) {
		label, value := m[1], m[2]
		switch {
		case !slices.Contains(known, label):
			bad = append(bad, "no label "+label)
		case label == "check" && !knownCheck(value):
			bad = append(bad, "no check "+value)
		case label == "status" && !slices.Contains([]string{"ok", "warn", "fail", "skip"}, value):
			bad = append(bad, "no status "+value)
		}
	}
	for _, m := range byClause.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(m[1], ",") {
			if l = strings.TrimSpace(l); l != "" && !slices.Contains(known, l) {
				bad = append(bad, "grouped by a label it does not have: "+l)
			}
		}
	}
	return bad
}

// TestAlertRulesMatchMetrics reads the alerting rules without a YAML
// library (the module has none; every expression is one line, which this
// test enforces) and checks every expression against the metrics the
// writers emit, and that the alerts preflight's and site's pages (examples/sfkvm/manual) promise are there.
func TestAlertRulesMatchMetrics(t *testing.T) {
	for _, f := range ruleFiles {
		t.Run(f.rules, func(t *testing.T) { alertRulesMatchMetrics(t, f.rules, f.alerts) })
	}
}

func alertRulesMatchMetrics(t *testing.T, file string, promised []string) {
	b, err := os.ReadFile(filepath.Join(rulesDir, file))
	if err != nil {
		t.Fatal(err)
	}
	var alerts []string
	exprs := 0
	for i, line := range strings.Split(string(b), "\n") {
		key, value, _ := strings.Cut(strings.TrimSpace(line), ":")
		value = strings.TrimSpace(value)
		switch strings.TrimPrefix(key, "- ") {
		case "alert":
			alerts = append(alerts, value)
		case "expr":
			exprs++
			if value == "" || value == "|" || value == ">" || strings.HasPrefix(value, "|") || strings.HasPrefix(value, ">") {
				t.Errorf("line %d: an expression on more than one line", i+1)
				continue
			}
			for _, p := range checkExpr(value) {
				t.Errorf("line %d: %s: %s", i+1, value, p)
			}
		}
	}
	if exprs != len(alerts) || exprs == 0 {
		t.Errorf("%d expressions for %d alerts", exprs, len(alerts))
	}
	for _, want := range promised {
		if !slices.Contains(alerts, want) {
			t.Errorf("no alert %s in %v", want, alerts)
		}
	}
}

// The structural check itself catches what it is for.
func TestCheckExpr(t *testing.T) {
	for expr, want := range map[string]string{
		`sfkvm_preflight_check_status{status="fail"} == 1`:                        "",
		`sfkvm_preflight_check_status{status="failed"} == 1`:                      "no status failed",
		`sfkvm_preflight_check_status{check="guest.password"} == 1`:               "no check guest.password",
		`sfkvm_preflight_check{status="fail"} == 1`:                               "the textfile has no metric sfkvm_preflight_check; no label status",
		`count by (job, host) (sfkvm_preflight_conf_info)`:                        "grouped by a label it does not have: host",
		`time() - sfkvm_preflight_last_run_timestamp_seconds{target="x"} > 3600`:  "no label target",
		`count by (job) (count by (job, sha256) (sfkvm_preflight_conf_info)) > 1`: "",
		`sfkvm_site_check_status{status="fail",check!="site.host"} == 1`:          "",
		`sfkvm_site_check_status{check="site.hosts"} == 1`:                        "no check site.hosts",
		`sfkvm_site_host_up{target="x"} == 0`:                                     "no label target",
		`sfkvm_site_hosts_up == 0`:                                                "the textfile has no metric sfkvm_site_hosts_up",
		`count by (host) (sfkvm_site_conf_info)`:                                  "",
	} {
		got := strings.Join(checkExpr(expr), "; ")
		if got != want {
			t.Errorf("%s: %q, want %q", expr, got, want)
		}
	}
}

// promtool is Prometheus' own check of the rules and the runner of their
// unit tests (sfkvm-preflight.rules.test.yml, sfkvm-site.rules.test.yml:
// each alert fires on the series the textfile holds, at the time it
// should). scripts/deps.sh
// extracts it from Debian's prometheus package into a cache, without
// installing the server.
func TestAlertRulesPromtool(t *testing.T) {
	tool := promtool()
	testenv.Need(t, tool != "", "promtool", "scripts/deps.sh as root (it extracts promtool from Debian's prometheus package into "+promtoolCache+"), or set SFKVM_PROMTOOL")
	var runs [][]string
	for _, f := range ruleFiles {
		runs = append(runs, []string{"check", "rules", f.rules}, []string{"test", "rules", f.tests})
	}
	for _, args := range runs {
		cmd := exec.Command(tool, args...)
		cmd.Dir = rulesDir
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "SUCCESS") {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// promtoolCache is where scripts/deps.sh extracts promtool.
const promtoolCache = "/var/cache/sfkvm-test/prometheus/usr/bin/promtool"

func promtool() string {
	if p := os.Getenv("SFKVM_PROMTOOL"); p != "" {
		return p
	}
	if p, err := exec.LookPath("promtool"); err == nil {
		return p
	}
	if _, err := os.Stat(promtoolCache); err == nil {
		return promtoolCache
	}
	return ""
}

// The rules' unit tests feed series shaped as the textfiles write them
// and Prometheus scrapes them: each has exactly its metric's labels (and
// the scrape's), but for one that the textfile writes empty.
func TestAlertRuleTestsSeries(t *testing.T) {
	for _, f := range ruleFiles {
		t.Run(f.tests, func(t *testing.T) { alertRuleTestsSeries(t, f.tests) })
	}
}

func alertRuleTestsSeries(t *testing.T, file string) {
	b, err := os.ReadFile(filepath.Join(rulesDir, file))
	if err != nil {
		t.Fatal(err)
	}
	series := regexp.MustCompile(`(?m)^\s*- series: '([a-z_]+)\{([^}]*)\}'`)
	ms := series.FindAllStringSubmatch(string(b), -1)
	if len(ms) == 0 {
		t.Fatal("no input series")
	}
	for _, m := range ms {
		var got []string
		for _, l := range matcher.FindAllStringSubmatch(m[2], -1) {
			got = append(got, l[1])
		}
		want := append(slices.Clone(metricLabels[m[1]]), scrapeLabels...)
		want = slices.DeleteFunc(want, func(l string) bool {
			return slices.Contains(emptyLabels[m[1]], l) && !slices.Contains(got, l)
		})
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s{%s}: labels %v, want %v", m[1], m[2], got, want)
		}
		for _, p := range checkExpr(m[1] + "{" + m[2] + "}") {
			t.Errorf("%s{%s}: %s", m[1], m[2], p)
		}
	}
}
