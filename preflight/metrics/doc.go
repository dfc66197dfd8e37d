// Package metrics writes a preflight report as metrics for Prometheus:
// for node_exporter's textfile collector (WriteTextfile, written with
// client_golang's prometheus.WriteToTextfile), or as a Collector for an
// exporter of the caller's. `sfkvm preflight --textfile DIR` is the first
// kind; the systemd timer in dist/systemd runs it, and the alerting rules
// in dist/prometheus read it.
//
// # The metrics: a contract
//
// Names, labels and values are part of the module's documented contract,
// like the JSON schema sfkvm.preflight/v1: within a major version, new
// metrics and new label values (check IDs, targets) may appear; a renamed
// or removed metric or label, or a changed meaning, does not happen.
//
//	sfkvm_preflight_check_status{check, step, target, status}  gauge, 1
//	    one series per check and target of the last run; status is the
//	    result's: ok, warn, fail or skip (preflight.Status in lower case).
//	    check is a stable check ID (preflight.Checks), step the manual's
//	    step it guards, target the report's target ("guest12 10.0.0.12",
//	    "guest12 -> 10.0.0.2", a file, "(every host)").
//	sfkvm_preflight_results{status}  gauge
//	    how many results had each status; all four are always written.
//	sfkvm_preflight_last_run_timestamp_seconds  gauge
//	    when the last run ended, in seconds since the epoch.
//	sfkvm_preflight_last_run_duration_seconds  gauge
//	    how long it took.
//	sfkvm_preflight_conf_info{sha256}  gauge, 1
//	    the SHA-256 of the kvmguests.conf checked (absent when it could not
//	    be read). A new value is a changed file; the next run's check
//	    conf.changed compares with it (TextfileDir.ReadPrevious).
//
// Only the current status of a result is a series (not one per possible
// status): a series whose status changes ends, and a new one begins, so an
// alert on status="fail" ends when the check passes. Reasons, fixes and
// titles are not labels: they change wording within v1 and would make new
// series. The series are about 8 per guest (one more per guest for each
// other host) and a dozen for the host itself: a host with 100 guests in
// its file writes about 800.
//
// # The textfile
//
// OpenTextfileDir checks the folder the way sfkvm checks every folder it
// writes in (internal/safefile): absolute, not a symbolic link, owned by
// root or the caller, not writable by group or others. The file is then
// written beneath the opened folder (through /proc/self/fd on Linux), so
// that a path swapped after the check does not redirect it, with
// client_golang's WriteToTextfile: a temporary file created exclusively in
// the folder (never through a link), whose name does not end in .prom (the
// collector ignores it), made mode 0644 (node_exporter reads it as its own
// user; it holds no secret: check IDs, guest names and addresses), then
// renamed over sfkvm_preflight.prom (a link there is replaced, not
// followed). TextfileDir.WriteFile writes another Gatherer's metrics the
// same way under another name: package site/metrics writes the site
// report's sfkvm_site.prom with it, so that one folder takes both.
package metrics
