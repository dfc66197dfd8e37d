package metrics_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/preflight/metrics"
)

// A report written for the textfile collector, as node_exporter reads it.
func ExampleWriteTextfile() {
	dir, _ := os.MkdirTemp("", "textfile-")
	defer os.RemoveAll(dir)
	t0 := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	rep := preflight.Report{
		Results: []preflight.Result{
			{Check: "guest.sudo", Step: "1.2", Target: "guest12 10.0.0.12", Status: preflight.Fail},
			{Check: "guest.login", Step: "1.5", Target: "guest12 10.0.0.12", Status: preflight.OK},
		},
		Counts:  preflight.Counts{OK: 1, Fail: 1},
		Started: t0, Finished: t0.Add(1500 * time.Millisecond),
		ConfSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	}
	if err := metrics.WriteTextfile(dir, rep); err != nil {
		log.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, metrics.FileName))
	fmt.Print(string(b))
	// Output:
	// # HELP sfkvm_preflight_check_status 1 for each check and target of the last sfkvm preflight run, with its status (ok, warn, fail, skip) as a label.
	// # TYPE sfkvm_preflight_check_status gauge
	// sfkvm_preflight_check_status{check="guest.login",status="ok",step="1.5",target="guest12 10.0.0.12"} 1
	// sfkvm_preflight_check_status{check="guest.sudo",status="fail",step="1.2",target="guest12 10.0.0.12"} 1
	// # HELP sfkvm_preflight_conf_info 1, with the SHA-256 of the kvmguests.conf checked by the last sfkvm preflight run.
	// # TYPE sfkvm_preflight_conf_info gauge
	// sfkvm_preflight_conf_info{sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"} 1
	// # HELP sfkvm_preflight_last_run_duration_seconds How long the last sfkvm preflight run took, in seconds.
	// # TYPE sfkvm_preflight_last_run_duration_seconds gauge
	// sfkvm_preflight_last_run_duration_seconds 1.5
	// # HELP sfkvm_preflight_last_run_timestamp_seconds When the last sfkvm preflight run ended, in seconds since the epoch.
	// # TYPE sfkvm_preflight_last_run_timestamp_seconds gauge
	// sfkvm_preflight_last_run_timestamp_seconds 1.7960040015e+09
	// # HELP sfkvm_preflight_results Results of the last sfkvm preflight run, by status.
	// # TYPE sfkvm_preflight_results gauge
	// sfkvm_preflight_results{status="fail"} 1
	// sfkvm_preflight_results{status="ok"} 1
	// sfkvm_preflight_results{status="skip"} 0
	// sfkvm_preflight_results{status="warn"} 0
}
