// Command reporthost is a cluster host for bench/sitereport.sh whose
// `sfkvm preflight --format=json` prints a report of -size MiB: one
// in-process SSH server (sshcheck/sshtest) on 127.0.0.1, so that the
// benchmark measures the memory of `sfkvm site` reading one hostile or
// huge report, not the host's. Before it serves it writes, in -dir: id (the
// private key that logs in as root) and known_hosts (the server's host
// key). kvmguests.conf, the host information file and known_hosts are
// missing on it (cat says so), which the site reports and goes on. It
// prints its address (127.0.0.1:PORT) on stdout and serves until SIGTERM
// or SIGINT.
//
// Usage:
//
//	reporthost -dir DIR [-size MIB] [-kind KIND]
//
// The kinds of report:
//
//	empty   {} rows, the report of issue 18 (refused at its first row)
//	rows    short OK rows with their counts (refused past site.MaxReportRows)
//	text    rows of 60 KiB details (refused past site.MaxReportText)
//	skip    a valid report with one unknown field of small numbers, which
//	        the site walks to the end (the slowest to read)
//	valid   the largest report the site accepts: 99,999 rows of 120-byte
//	        reasons, spaced out with blanks to -size
package main
