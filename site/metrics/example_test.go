package metrics_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfkvm/sfkvm/preflight"
	pmetrics "github.com/sfkvm/sfkvm/preflight/metrics"
	"github.com/sfkvm/sfkvm/site"
	"github.com/sfkvm/sfkvm/site/metrics"
)

// A site report of two hosts, one not reached, written for the textfile
// collector as node_exporter reads it. The site checks have host="".
func ExampleWriteTextfile() {
	dir, _ := os.MkdirTemp("", "textfile-")
	defer os.RemoveAll(dir)
	t0 := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	rep := site.Report{
		Schema: site.Schema,
		Hosts: []site.Host{
			{Name: "10.0.0.1", Status: preflight.OK, Seconds: 1.25, ConfSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
			{Name: "10.0.0.2", Status: preflight.Fail, Seconds: 10},
		},
		Results: []site.Result{
			{Check: "site.host", Target: "10.0.0.1", Status: preflight.OK},
			{Check: "site.host", Target: "10.0.0.2", Status: preflight.Fail},
			{Host: "10.0.0.1", Check: "guest.sudo", Step: "1.2", Target: "guest12 10.0.0.12", Status: preflight.Fail},
		},
		Counts:  preflight.Counts{OK: 1, Fail: 2},
		Started: t0, Finished: t0.Add(10500 * time.Millisecond),
	}
	if err := metrics.WriteTextfile(dir, rep); err != nil {
		log.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, metrics.FileName))
	fmt.Print(string(b))
	// Output:
	// # HELP sfkvm_site_check_status 1 for each row of the last sfkvm site run (a site check, host empty, or a host's preflight result), with its status (ok, warn, fail, skip) as a label.
	// # TYPE sfkvm_site_check_status gauge
	// sfkvm_site_check_status{check="guest.sudo",host="10.0.0.1",status="fail",step="1.2",target="guest12 10.0.0.12"} 1
	// sfkvm_site_check_status{check="site.host",host="",status="fail",step="",target="10.0.0.2"} 1
	// sfkvm_site_check_status{check="site.host",host="",status="ok",step="",target="10.0.0.1"} 1
	// # HELP sfkvm_site_conf_info 1, with the SHA-256 of the host's kvmguests.conf as the last sfkvm site run read it.
	// # TYPE sfkvm_site_conf_info gauge
	// sfkvm_site_conf_info{host="10.0.0.1",sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"} 1
	// # HELP sfkvm_site_host_duration_seconds How long the last sfkvm site run spent on the host, in seconds.
	// # TYPE sfkvm_site_host_duration_seconds gauge
	// sfkvm_site_host_duration_seconds{host="10.0.0.1"} 1.25
	// sfkvm_site_host_duration_seconds{host="10.0.0.2"} 10
	// # HELP sfkvm_site_host_up 1 when the last sfkvm site run reached the host and its preflight gave a report, else 0.
	// # TYPE sfkvm_site_host_up gauge
	// sfkvm_site_host_up{host="10.0.0.1"} 1
	// sfkvm_site_host_up{host="10.0.0.2"} 0
	// # HELP sfkvm_site_hosts Hosts of the last sfkvm site run, by status: ok reached with a report, fail not.
	// # TYPE sfkvm_site_hosts gauge
	// sfkvm_site_hosts{status="fail"} 1
	// sfkvm_site_hosts{status="ok"} 1
	// # HELP sfkvm_site_last_run_duration_seconds How long the last sfkvm site run took, in seconds.
	// # TYPE sfkvm_site_last_run_duration_seconds gauge
	// sfkvm_site_last_run_duration_seconds 10.5
	// # HELP sfkvm_site_last_run_timestamp_seconds When the last sfkvm site run ended, in seconds since the epoch.
	// # TYPE sfkvm_site_last_run_timestamp_seconds gauge
	// sfkvm_site_last_run_timestamp_seconds 1.7960040105e+09
	// # HELP sfkvm_site_results Rows of the last sfkvm site run, by status.
	// # TYPE sfkvm_site_results gauge
	// sfkvm_site_results{status="fail"} 2
	// sfkvm_site_results{status="ok"} 1
	// sfkvm_site_results{status="skip"} 0
	// sfkvm_site_results{status="warn"} 0
}

// The site's metrics in an exporter of one's own, beside its other
// collectors: the up series of a site of one host that was not reached.
func ExampleCollector() {
	rep := site.Report{Hosts: []site.Host{{Name: "10.0.0.1", Status: preflight.Fail, Seconds: 3}}}
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.Collector(rep))
	mfs, err := reg.Gather()
	if err != nil {
		log.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == metrics.HostUp {
			m := mf.GetMetric()[0]
			fmt.Println(mf.GetName(), m.GetLabel()[0].GetName(), m.GetLabel()[0].GetValue(), m.GetGauge().GetValue())
		}
	}
	// Output:
	// sfkvm_site_host_up host 10.0.0.1 0
}

// The folder opened and checked before the run (a wrong one is told at
// once, not after minutes of SSH), written after; preflight's textfile
// can share it.
func ExampleWrite() {
	dir, _ := os.MkdirTemp("", "textfile-")
	defer os.RemoveAll(dir)
	tf, err := pmetrics.OpenTextfileDir(dir)
	if err != nil {
		log.Fatal(err) // a link, another owner, open to others, missing
	}
	defer tf.Close()

	rep := site.Report{Finished: time.Now()} // site.Run(ctx, cfg)

	if err := metrics.Write(tf, rep); err != nil {
		log.Fatal(err)
	}
	if err := tf.Write(preflight.Report{Finished: time.Now()}); err != nil {
		log.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		fmt.Println(e.Name())
	}
	// Output:
	// sfkvm_preflight.prom
	// sfkvm_site.prom
}
