// Package site answers "is the failover still ready, everywhere?" for a
// whole PRIMECLUSTER KVM site from one place: it logs in to every cluster
// host over SSH (as root, by key), runs preflight there (`sfkvm preflight
// --format=json`), reads what only a view of every host can compare, and
// merges one report of every host and every guest.
//
//	rep := site.Run(ctx, site.Config{
//		Hosts: []sshcheck.Target{{Address: "10.0.0.1"}, {Address: "10.0.0.2"}},
//	})
//	rep.WriteText(os.Stdout) // or json.Marshal(rep)
//	if rep.Failed() { ... }
//
// ReadHostsFile reads the hosts from a file (one a line, # comments), as
// `sfkvm site --site-hosts-file` does: a regular file only, never blocking on a
// FIFO or reading a device, and, since whoever can change the list can
// hide a host from the report, not a symbolic link, owned by root or the
// caller and not writable by group or others; ParseHost reads one host
// word (ADDR, ADDR:PORT, [v6]:PORT).
//
// Package site/metrics writes a Report as Prometheus metrics, for
// node_exporter's textfile collector (`sfkvm site --textfile DIR`) or an
// exporter of one's own.
//
// # What it does on each host
//
// One SSH connection per host, at most Config.Parallel hosts at once; each
// host is bounded by Config.HostTimeout, so a host that hangs costs one
// timeout and holds up no other. On it, the preflight, in a session of its
// own,
//
//	sfkvm preflight --format=json [Config.PreflightArgs]   stdout at most 64 MiB
//
// and, while it runs, in turn:
//
//	cat -- /etc/opt/FJSVcluster/etc/kvmguests.conf   at most kvmguests.MaxSize
//	cat -- /var/lib/sfkvm/hostinfo                   at most migratesetup.MaxFileSize
//	cat -- /root/.ssh/known_hosts                    at most MaxKnownHosts
//
// A host whose preflight gave a report but whose reads were cut by its
// HostTimeout is a FAIL of site.host too: it did not answer in its time.
//
// The guests of its copy of kvmguests.conf are looked up in its
// known_hosts here, as ssh-keygen -F would find them (plain and hashed
// names, patterns and their negations, markers), rather than with one
// ssh-keygen per guest on the host: a thousand processes per host, each
// reading the whole file, were most of a 1,000-guest site's time. Each
// hashed line has its own salt, so that costs guests x hashed lines HMACs
// here; it counts as the host's work and stops at its HostTimeout.
//
// kvmguests.conf is only hashed and parsed for its guests' names,
// addresses and host-cfname: its password tokens are never printed. The
// preflight's exit status 0 or 1 both carry a report; a report of another
// schema than preflight.Schema (another version of sfkvm on that host),
// output that is no JSON report, or a preflight that could not run makes
// the host's site.host row FAIL with the reason (ErrSchema, ErrNotReport,
// ErrPreflight in its words). An unreachable host is a FAIL row too; Run
// never aborts. Every text a host sends is escaped before it reaches a
// terminal, a JSON reader or a metric's label: its report's, and the
// names of guests and hosts in its copy of kvmguests.conf.
//
// A report is read row by row, so that it costs what is kept of it, and
// it is refused whole, never shown in part, when it is over a cap
// (ErrReportLimit: MaxReportRows rows, MaxReportValue bytes in one value,
// MaxReportRow in one row, MaxReportText bytes of text kept) or does not
// add up (ErrReportInvalid: a
// status that is not exactly OK, WARN, FAIL or SKIP, a count that is not a
// whole number from 0 to MaxReportRows, counts that are not its rows').
// Its rows are the host's that sent them, whatever host they name. Lists
// in the site checks' reasons name 20 items and count the rest.
// bench/sitereport.sh measures the memory of a site run reading one
// 60 MiB report.
//
// # Site checks
//
// Checks that no single host can make, from what the hosts reported and
// what the site run read itself (stable IDs, in report order, Checks):
//
//	ID              step  what must be true
//	site.host       -     the host was reached and its preflight gave a report (one row per host)
//	site.conf       1.4   every host's kvmguests.conf is byte-identical (one SHA-256)
//	site.weightlink 2     every host registered, and -w the same on every host
//	site.hostcfname 1.1   each guest's host-cfname is a registered host's CF node name
//	site.guestkey   1.5   each guest has the same key in root's known_hosts on every host
//	site.setup      3     each guest runs on exactly one host, and is set up there
//	site.knowshost  5     each guest knows every host's key (the hosts' guest.knowshost)
//
// The per-guest checks use the guests of the copy of kvmguests.conf that
// most hosts hold.
//
// # The JSON contract
//
// A Report marshals as
//
//	{"schema": "sfkvm.site/v1",
//	 "hosts": [{"name": "h1", "address": "10.0.0.1:22", "status": "OK",
//	            "reason": "preflight: 30 OK, 0 WARN, 1 FAIL, 2 SKIP",
//	            "cfname": "cfhost1", "weight_link": "on",
//	            "conf_sha256": "9f86d0...", "hostinfo_sha256": "2c26b4...",
//	            "counts": {"ok": 30, "warn": 0, "fail": 1, "skip": 2},
//	            "duration_seconds": 1.8}, ...],
//	 "results": [{"host": "", "check": "site.conf", "step": "1.4", "title": "one kvmguests.conf",
//	              "target": "/etc/opt/FJSVcluster/etc/kvmguests.conf", "status": "OK",
//	              "reason": "...", "fix": "...", "detail": "...", "error": "..."}, ...,
//	             {"host": "h1", "check": "guest.sudo", ...}, ...],
//	 "counts": {"ok": 300, "warn": 1, "fail": 2, "skip": 0},
//	 "started": "2026-11-30T02:00:00Z", "finished": "2026-11-30T02:00:04Z",
//	 "duration_seconds": 4.0}
//
// The site checks come first (host ""), then every host's preflight
// results as its report gave them, with host naming it; counts are over
// all rows. A host's cfname, weight_link, checksums and counts are left
// out when they could not be read. Within v1, new checks, new fields and
// new rows may appear and the words of reason, fix and detail may change;
// a renamed or removed field, a changed status word, or a changed or reused
// check ID makes v2. Durations are numbers of seconds, in keys ending in
// "_seconds"; no text is HTML-escaped. sfkvm has had no release yet, so
// the renaming of a host's "seconds" to "duration_seconds" stayed in v1.
//
// Report and Result round-trip: json.Unmarshal of what Marshal wrote
// gives the report back (duration_seconds is derived from the times).
package site
