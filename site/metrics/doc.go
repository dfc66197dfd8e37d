// Package metrics writes a site report (package site) as metrics for
// Prometheus: for node_exporter's textfile collector (WriteTextfile, Write),
// or as a Collector for an exporter of the caller's. `sfkvm site --textfile
// DIR` is the first kind, run on a timer on a monitoring host; the alerting
// rules in dist/prometheus/sfkvm-site.rules.yml read it.
//
// It is preflight/metrics for the whole site: the same encoding of a
// status, the same folder rules and the same atomic write (this package
// writes through preflight/metrics.TextfileDir.WriteFile), under another
// file name, FileName, so that preflight's and the site's textfiles can
// share one folder.
//
// # The metrics: a contract
//
// Names, labels and values are part of the module's documented contract,
// like the JSON schema sfkvm.site/v1: within a major version, new metrics
// and new label values (check IDs, hosts, targets, statuses of a host) may
// appear; a renamed or removed metric or label, or a changed meaning, does
// not happen.
//
//	sfkvm_site_check_status{check, step, host, target, status}  gauge, 1
//	    one series per row of the report: a site check (host is "", which
//	    Prometheus treats as no label: select them with host="") or a
//	    result of a host's preflight (host is the host's name as the site
//	    run was given it, as in its site.host row). status is the row's:
//	    ok, warn, fail or skip (preflight/metrics.Status), check the
//	    stable check ID (site.Checks, preflight.Checks), step the manual's
//	    step ("" for site.host), target the row's target. In every label,
//	    control characters, C1 bytes and invalid UTF-8 are escaped as in Go
//	    strings (\x1b, \u009b, \xff), as sshcheck.QuoteRemote does: the
//	    exposition format itself escapes only \, " and newline.
//	sfkvm_site_host_up{host}  gauge
//	    1 when the host was reached and its preflight gave a report
//	    (site.host OK), 0 otherwise; one series per host.
//	sfkvm_site_host_duration_seconds{host}  gauge
//	    how long the run spent on the host, login to last read, or to the
//	    failure (a host that hangs costs one --timeout).
//	sfkvm_site_conf_info{host, sha256}  gauge, 1
//	    the SHA-256 of the host's kvmguests.conf; absent for a host whose
//	    file was not read. The hosts of a site hold one value when the
//	    copies are identical (site.conf): a host with another names the
//	    host whose copy differs.
//	sfkvm_site_results{status}  gauge
//	    how many rows had each status; all four are always written.
//	sfkvm_site_hosts{status}  gauge
//	    how many hosts the run was given that were reached with a report
//	    (ok) or not (fail); both are always written.
//	sfkvm_site_last_run_timestamp_seconds  gauge
//	    when the run ended, in seconds since the epoch.
//	sfkvm_site_last_run_duration_seconds  gauge
//	    how long it took.
//
// As in preflight's metrics, only the current status of a row is a series,
// so an alert on status="fail" ends when the row passes; reasons, fixes,
// titles and details are not labels (their words change within v1 and
// would make new series). Two rows of one check, host and target (never
// made by Run today) are one series with the worse status; a host given
// twice is one series of each kind, down when either was.
//
// # How many series
//
// One per row of the report, and three per host: a site's hosts each write
// their preflight's rows (about 7 per guest in the file, one more per
// guest for each host given to preflight's --hosts), the site checks 4 per
// guest. A site of 1,000 guests on 10 hosts writes about 65,000 series, a
// textfile of about 8 MB, in a quarter of a second (BenchmarkWriteTextfile):
// a scrape that node_exporter and Prometheus take, but one to know of.
// Where every host also runs `sfkvm preflight --textfile`, the hosts' rows
// are in the monitoring twice; the site's own (host="") are what only this
// file has.
//
// # The host label and the scrape
//
// node_exporter's own target labels seldom include host, but a scrape
// configuration that adds one (a relabel rule naming the machine) makes
// Prometheus rename this file's label to exported_host, unless the job has
// honor_labels: true; the alerts in dist/prometheus match on host, so give
// the node_exporter job of the monitoring host honor_labels, or no host
// target label.
package metrics
