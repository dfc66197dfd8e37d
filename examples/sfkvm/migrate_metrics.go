package main

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfkvm/sfkvm/migrate"
	"github.com/sfkvm/sfkvm/preflight/metrics"
)

// The metrics of migrate and drill, in sfkvm_migrate.prom (sfkvm_drill.prom
// for a drill) beside preflight's in node_exporter's textfile folder, with
// the same rules (metrics.TextfileDir): one series per leg, labelled with
// the domain and the hosts.
const (
	migrateMetricsFile = "sfkvm_migrate.prom"
	drillMetricsFile   = "sfkvm_drill.prom"
)

func writeMigrateMetrics(dir string, legs []*migrate.Report, drill *migrate.DrillReport) error {
	tf, err := metrics.OpenTextfileDir(dir)
	if err != nil {
		return err
	}
	defer tf.Close()
	prefix, name := "sfkvm_migrate_", migrateMetricsFile
	if drill != nil {
		prefix, name = "sfkvm_drill_", drillMetricsFile
	}
	reg := prometheus.NewRegistry()
	labels := []string{"domain", "from", "to", "leg"}
	ok := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: prefix + "ok", Help: "1 when the guest moved and every check held, else 0"}, labels)
	mig := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: prefix + "migration_seconds", Help: "libvirt's time of the migration"}, labels)
	down := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: prefix + "downtime_seconds", Help: "the guest's pause during the switch-over"}, labels)
	reads := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: prefix + "reads_new_host_seconds", Help: "from the end of the migration to the guest reading its new host"}, labels)
	last := prometheus.NewGauge(prometheus.GaugeOpts{Name: prefix + "last_run_timestamp_seconds", Help: "when the run ended"})
	reg.MustRegister(ok, mig, down, reads, last)
	for i, r := range legs {
		l := prometheus.Labels{"domain": r.Domain, "from": r.From, "to": r.To, "leg": strconv.Itoa(i + 1)}
		v := 0.0
		if r.OK() {
			v = 1
		}
		ok.With(l).Set(v)
		for _, x := range []struct {
			g *prometheus.GaugeVec
			v *float64
		}{{mig, r.MigrationSeconds}, {down, r.DowntimeSeconds}, {reads, r.ReadsNewHostSeconds}} {
			if x.v != nil {
				x.g.With(l).Set(*x.v)
			}
		}
	}
	last.Set(float64(time.Now().Unix()))
	return tf.WriteFile(name, reg)
}
