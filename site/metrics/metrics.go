package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfkvm/sfkvm/internal/termtext"
	"github.com/sfkvm/sfkvm/preflight"
	pmetrics "github.com/sfkvm/sfkvm/preflight/metrics"
	"github.com/sfkvm/sfkvm/site"
)

// The metric names: a contract (see the package documentation), renamed
// only with a new major version of the module.
const (
	// CheckStatus is 1 for each row of the site report, with its status
	// as a label: {check, step, host, target, status}; host is "" for a
	// site check.
	CheckStatus = "sfkvm_site_check_status"
	// HostUp is 1 for a host that was reached and whose preflight gave a
	// report, 0 for any other: {host}.
	HostUp = "sfkvm_site_host_up"
	// HostDuration is how long the site run spent on a host, login to last
	// read (or to the failure), in seconds: {host}.
	HostDuration = "sfkvm_site_host_duration_seconds"
	// ConfInfo is 1, with the SHA-256 of a host's kvmguests.conf as a
	// label: {host, sha256}. Absent for a host whose file was not read.
	ConfInfo = "sfkvm_site_conf_info"
	// Results is how many rows the report had, by status: {status}, every
	// status present (0 when none).
	Results = "sfkvm_site_results"
	// Hosts is how many hosts were reached (status ok) or not (fail):
	// {status}, both present.
	Hosts = "sfkvm_site_hosts"
	// LastRunTimestamp is when the site run ended, in seconds since the
	// epoch.
	LastRunTimestamp = "sfkvm_site_last_run_timestamp_seconds"
	// LastRunDuration is how long the site run took, in seconds.
	LastRunDuration = "sfkvm_site_last_run_duration_seconds"
)

// Names is every metric name the textfile may hold, sorted (as every
// client_golang registry writes them).
var Names = []string{CheckStatus, ConfInfo, HostDuration, HostUp, Hosts, LastRunDuration, LastRunTimestamp, Results}

var (
	checkStatusDesc = prometheus.NewDesc(CheckStatus,
		"1 for each row of the last sfkvm site run (a site check, host empty, or a host's preflight result), with its status (ok, warn, fail, skip) as a label.",
		[]string{"check", "step", "host", "target", "status"}, nil)
	hostUpDesc = prometheus.NewDesc(HostUp,
		"1 when the last sfkvm site run reached the host and its preflight gave a report, else 0.",
		[]string{"host"}, nil)
	hostDurationDesc = prometheus.NewDesc(HostDuration,
		"How long the last sfkvm site run spent on the host, in seconds.",
		[]string{"host"}, nil)
	confInfoDesc = prometheus.NewDesc(ConfInfo,
		"1, with the SHA-256 of the host's kvmguests.conf as the last sfkvm site run read it.",
		[]string{"host", "sha256"}, nil)
	resultsDesc = prometheus.NewDesc(Results,
		"Rows of the last sfkvm site run, by status.",
		[]string{"status"}, nil)
	hostsDesc = prometheus.NewDesc(Hosts,
		"Hosts of the last sfkvm site run, by status: ok reached with a report, fail not.",
		[]string{"status"}, nil)
	lastRunDesc = prometheus.NewDesc(LastRunTimestamp,
		"When the last sfkvm site run ended, in seconds since the epoch.", nil, nil)
	durationDesc = prometheus.NewDesc(LastRunDuration,
		"How long the last sfkvm site run took, in seconds.", nil, nil)
)

// hostStatuses are the statuses Hosts writes, in order.
var hostStatuses = []preflight.Status{preflight.OK, preflight.Fail}

// label makes a label value safe and one client_golang accepts. A text
// from a host (site.Run escapes those already) or a host name given to
// Run by a program may hold control characters and C1 bytes: the
// exposition format escapes only backslash, quote and newline, so ESC or
// 0x9B would reach whoever reads the file on a terminal. They are escaped
// as in Go strings (\x1b, \u009b), as sshcheck.QuoteRemote does; invalid
// UTF-8, which would make the registry refuse the whole file, as \xff
// (package termtext, as every text sfkvm prints).
func label(s string) string { return termtext.Escape(s, termtext.NoLimit) }

// collector is a site report as metrics.
type collector struct{ rep site.Report }

// Collector returns the metrics of rep, for a registry of the caller's
// (an exporter that runs the site itself). Two rows of one check, host and
// target are one series, with the worse status; a host listed twice is
// one series of each kind, down if either was, with the longer duration.
func Collector(rep site.Report) prometheus.Collector { return collector{rep} }

// Gatherer returns a registry holding only rep's metrics: what
// WriteTextfile writes, for prometheus.WriteToTextfile or a test.
func Gatherer(rep site.Report) (prometheus.Gatherer, error) {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(Collector(rep)); err != nil {
		return nil, err
	}
	return reg, nil
}

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{checkStatusDesc, hostUpDesc, hostDurationDesc, confInfoDesc, resultsDesc, hostsDesc, lastRunDesc, durationDesc} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	c.collectRows(ch)
	c.collectHosts(ch)
	counts := c.rep.Counts
	for _, s := range preflight.Statuses() {
		n := counts.Of(s)
		ch <- prometheus.MustNewConstMetric(resultsDesc, prometheus.GaugeValue, float64(n), pmetrics.Status(s))
	}
	if !c.rep.Finished.IsZero() {
		ch <- prometheus.MustNewConstMetric(lastRunDesc, prometheus.GaugeValue, float64(c.rep.Finished.UnixMilli())/1e3)
		ch <- prometheus.MustNewConstMetric(durationDesc, prometheus.GaugeValue, c.rep.Duration().Seconds())
	}
}

func (c collector) collectRows(ch chan<- prometheus.Metric) {
	type key struct{ check, host, target string }
	var order []key
	seen := map[key]site.Result{}
	for _, r := range c.rep.Results {
		k := key{label(string(r.Check)), label(r.Host), label(r.Target)}
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
		ch <- prometheus.MustNewConstMetric(checkStatusDesc, prometheus.GaugeValue, 1,
			k.check, label(string(r.Step)), k.host, k.target, label(pmetrics.Status(r.Status)))
	}
}

func (c collector) collectHosts(ch chan<- prometheus.Metric) {
	type host struct {
		up      bool
		seconds float64
	}
	var order []string
	hosts := map[string]*host{}
	type conf struct{ host, sum string }
	var confs []conf
	seenConf := map[conf]bool{}
	byStatus := map[preflight.Status]int{}
	for _, h := range c.rep.Hosts {
		name := label(h.Name)
		up := h.Status == preflight.OK
		if up {
			byStatus[preflight.OK]++
		} else {
			byStatus[preflight.Fail]++
		}
		if x, dup := hosts[name]; dup {
			x.up = x.up && up
			x.seconds = max(x.seconds, h.Seconds)
		} else {
			hosts[name] = &host{up: up, seconds: h.Seconds}
			order = append(order, name)
		}
		if cf := (conf{name, label(h.ConfSHA256)}); h.ConfSHA256 != "" && !seenConf[cf] {
			seenConf[cf] = true
			confs = append(confs, cf)
		}
	}
	for _, name := range order {
		up := 0.0
		if hosts[name].up {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(hostUpDesc, prometheus.GaugeValue, up, name)
		ch <- prometheus.MustNewConstMetric(hostDurationDesc, prometheus.GaugeValue, hosts[name].seconds, name)
	}
	for _, cf := range confs {
		ch <- prometheus.MustNewConstMetric(confInfoDesc, prometheus.GaugeValue, 1, cf.host, cf.sum)
	}
	for _, s := range hostStatuses {
		ch <- prometheus.MustNewConstMetric(hostsDesc, prometheus.GaugeValue, float64(byStatus[s]), pmetrics.Status(s))
	}
}
