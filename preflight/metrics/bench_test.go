package metrics_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/preflight/metrics"
)

// BenchmarkWriteTextfile writes the report of a host whose file lists
// 1,000 guests (8 results each: about 8,000 series).
func BenchmarkWriteTextfile(b *testing.B) {
	var rs []preflight.Result
	for g := range 1000 {
		target := fmt.Sprintf("guest%d 10.0.%d.%d", g, g/250, g%250)
		for _, c := range []preflight.ID{"guest.hostkey", "guest.login", "guest.sudo", "guest.passwordage", "guest.names", "guest.setup", "host.cfname", "guest.knowshost"} {
			rs = append(rs, preflight.Result{Check: c, Step: preflight.Lookup(c).Step, Target: target, Status: preflight.OK})
		}
	}
	t0 := time.Now()
	rep := preflight.Report{Results: rs, Counts: preflight.Counts{OK: len(rs)}, Started: t0, Finished: t0.Add(time.Second)}
	dir := b.TempDir()
	for b.Loop() {
		if err := metrics.WriteTextfile(dir, rep); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rs)), "series")
}
