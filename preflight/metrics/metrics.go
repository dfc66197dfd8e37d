package metrics

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfkvm/sfkvm/internal/termtext"
	"github.com/sfkvm/sfkvm/preflight"
)

// FileName is the textfile that WriteTextfile writes in its folder; the
// textfile collector reads every *.prom file there.
const FileName = "sfkvm_preflight.prom"

// The metric names: a contract (see the package documentation), renamed
// only with a new major version of the module.
const (
	// CheckStatus is 1 for each check and target, with the result's
	// status as a label: {check, step, target, status}.
	CheckStatus = "sfkvm_preflight_check_status"
	// Results is how many results the run had, by status: {status}, every
	// status present (0 when none).
	Results = "sfkvm_preflight_results"
	// LastRunTimestamp is when the run ended, in seconds since the epoch.
	LastRunTimestamp = "sfkvm_preflight_last_run_timestamp_seconds"
	// LastRunDuration is how long the run took, in seconds.
	LastRunDuration = "sfkvm_preflight_last_run_duration_seconds"
	// ConfInfo is 1, with the SHA-256 of the kvmguests.conf checked as a
	// label: {sha256}. Absent when the file could not be read.
	ConfInfo = "sfkvm_preflight_conf_info"
)

// Names is every metric name the textfile may hold (it writes them sorted
// by name, as every client_golang registry does).
var Names = []string{CheckStatus, Results, LastRunTimestamp, LastRunDuration, ConfInfo}

// Status is the value of the status label for a result's status: the JSON
// word in lower case ("ok", "warn", "fail", "skip").
func Status(s preflight.Status) string { return strings.ToLower(string(s)) }

var (
	checkStatusDesc = prometheus.NewDesc(CheckStatus,
		"1 for each check and target of the last sfkvm preflight run, with its status (ok, warn, fail, skip) as a label.",
		[]string{"check", "step", "target", "status"}, nil)
	resultsDesc = prometheus.NewDesc(Results,
		"Results of the last sfkvm preflight run, by status.",
		[]string{"status"}, nil)
	lastRunDesc = prometheus.NewDesc(LastRunTimestamp,
		"When the last sfkvm preflight run ended, in seconds since the epoch.", nil, nil)
	durationDesc = prometheus.NewDesc(LastRunDuration,
		"How long the last sfkvm preflight run took, in seconds.", nil, nil)
	confInfoDesc = prometheus.NewDesc(ConfInfo,
		"1, with the SHA-256 of the kvmguests.conf checked by the last sfkvm preflight run.",
		[]string{"sha256"}, nil)
)

// label makes a label value client_golang accepts and a terminal shows
// as it is: a guest name with a byte that is not UTF-8 is only a warning
// in kvmguests.conf, and one invalid value would make the registry refuse
// the whole file, every run; a control character (ESC, a C1 byte), which
// the exposition format does not escape, would reach whoever reads the
// file on a terminal. Both are escaped as in Go strings (\xff, \x1b), as
// site's metrics and every text sfkvm prints escape them.
func label(s string) string { return termtext.Escape(s, termtext.NoLimit) }

// collector is a report as metrics.
type collector struct{ rep preflight.Report }

// Collector returns the metrics of rep, for a registry of the caller's
// (an exporter that runs preflight itself). Two results of one check and
// target (never made by Run today) are one series, with the worse status.
func Collector(rep preflight.Report) prometheus.Collector { return collector{rep} }

// Gatherer returns a registry holding only rep's metrics: what
// WriteTextfile writes, for prometheus.WriteToTextfile or a test.
func Gatherer(rep preflight.Report) (prometheus.Gatherer, error) {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(Collector(rep)); err != nil {
		return nil, err
	}
	return reg, nil
}

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{checkStatusDesc, resultsDesc, lastRunDesc, durationDesc, confInfoDesc} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	type key struct{ check, target string }
	var order []key
	seen := map[key]preflight.Result{}
	for _, r := range c.rep.Results {
		k := key{string(r.Check), r.Target}
		prev, dup := seen[k]
		if !dup {
			order = append(order, k)
		}
		if !dup || r.Status.Severity() > prev.Status.Severity() {
			seen[k] = r
		}
	}
	for _, k := range order {
		r := seen[k]
		ch <- prometheus.MustNewConstMetric(checkStatusDesc, prometheus.GaugeValue, 1, label(k.check), label(string(r.Step)), label(k.target), Status(r.Status))
	}
	counts := c.rep.Counts
	for _, s := range preflight.Statuses() {
		n := counts.Of(s)
		ch <- prometheus.MustNewConstMetric(resultsDesc, prometheus.GaugeValue, float64(n), Status(s))
	}
	if !c.rep.Finished.IsZero() {
		ch <- prometheus.MustNewConstMetric(lastRunDesc, prometheus.GaugeValue, float64(c.rep.Finished.UnixMilli())/1e3)
		ch <- prometheus.MustNewConstMetric(durationDesc, prometheus.GaugeValue, c.rep.Duration().Seconds())
	}
	if c.rep.ConfSHA256 != "" {
		ch <- prometheus.MustNewConstMetric(confInfoDesc, prometheus.GaugeValue, 1, c.rep.ConfSHA256)
	}
}
