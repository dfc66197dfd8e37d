package metrics_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/site"
	"github.com/sfkvm/sfkvm/site/metrics"
)

// BenchmarkWriteTextfile writes the report of a site of 1,000 guests on
// 10 hosts: 4 site rows a guest, and each host's preflight with 7 rows a
// guest (guest.setup where the guest runs). It reports the series and the
// textfile's size.
func BenchmarkWriteTextfile(b *testing.B) {
	var rs []site.Result
	var hosts []site.Host
	for g := range 1000 {
		name, ip := fmt.Sprintf("guest%04d", g), fmt.Sprintf("10.235.%d.%d", g/250, g%250+2)
		for _, c := range []*site.Check{site.HostCFNameKnown, site.GuestKeySame, site.GuestSetUpWhereRuns, site.GuestKnowsHosts} {
			rs = append(rs, site.Result{Check: c.ID, Step: c.Step, Target: name + " " + ip, Status: preflight.OK})
		}
	}
	for h := range 10 {
		host := fmt.Sprintf("10.234.100.%d", h+1)
		hosts = append(hosts, site.Host{Name: host, Status: preflight.OK, Seconds: 20, ConfSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"})
		rs = append(rs, site.Result{Check: site.HostReached.ID, Target: host, Status: preflight.OK})
		for g := range 1000 {
			name, ip := fmt.Sprintf("guest%04d", g), fmt.Sprintf("10.235.%d.%d", g/250, g%250+2)
			for _, c := range []preflight.ID{"guest.hostkey", "guest.login", "guest.sudo", "guest.passwordage", "guest.names"} {
				rs = append(rs, site.Result{Host: host, Check: c, Step: preflight.Lookup(c).Step, Target: name + " " + ip, Status: preflight.OK})
			}
			rs = append(rs, site.Result{Host: host, Check: "guest.knowshost", Step: "5", Target: name + " -> " + host, Status: preflight.OK})
			if g%10 == h {
				rs = append(rs, site.Result{Host: host, Check: "guest.setup", Step: "3", Target: name, Status: preflight.OK})
			}
		}
	}
	t0 := time.Now()
	rep := site.Report{Hosts: hosts, Results: rs, Counts: preflight.Counts{OK: len(rs)}, Started: t0, Finished: t0.Add(20 * time.Second)}
	dir := b.TempDir()
	for b.Loop() {
		if err := metrics.WriteTextfile(dir, rep); err != nil {
			b.Fatal(err)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, metrics.FileName))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(rs)+3*len(hosts)), "series")
	b.ReportMetric(float64(fi.Size())/1e6, "MB")
}
