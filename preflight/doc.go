// Package preflight answers "will the host OS failover work?" for one host
// of a PRIMECLUSTER KVM cluster: it composes the step packages (kvmguests,
// cipher, sshcheck, sdfacility, migratesetup) into the whole-procedure
// check of the manual's section F.2.2, one result per check and target. It
// imports the others (as package rotate does, for password rotation); the
// step packages stay usable alone.
//
// The main call:
//
//	rep := preflight.Run(ctx, preflight.Config{
//		Password: func(kvmguests.Guest) sshcheck.PasswordSource { return pw },
//		Hosts:    []sshcheck.Target{{Address: "10.0.0.2", User: "root", Password: hostPW}},
//		Store:    store, // libvirtstore.Open("qemu:///system")
//	})
//	rep.WriteText(os.Stdout) // or json.Marshal(rep)
//	if rep.Failed() { ... }
//
// # Checks
//
// Each check is a documented value (Checks, in report order) with a
// stable ID, the manual's step it guards, a title and a doc string; Run is
// the one driver, which runs them concurrently and shares what several
// need (a guest's login serves guest.hostkey, guest.login, guest.sudo,
// guest.names and guest.knowshost; one look at libvirt serves host.cfname
// and guest.setup). Checks is the one mapping between checks and steps:
//
//	ID               step  what must be true
//	conf.syntax      1.4   the file passes sfkvm's check (WARN for warnings only)
//	conf.vendor      1.6   the vendor's sfkvmtool -c prints its success notice
//	conf.mode        1.4   owner root, mode 0600, not a symbolic link
//	conf.copies      1.4   each other host's copy is byte-identical
//	conf.changed     1.4   the file is the one the last run saw (WARN when not)
//	guest.hostkey    1.5   root here knows the guest's host key, unchanged
//	guest.login      1.5   guest_user logs in with its password
//	guest.sudo       1.2   a non-root guest_user has sudo without password and tty
//	guest.passwordage 1.2  guest_user's password neither expired nor expiring soon (WARN)
//	guest.names      1.1   the guest's cftool -c and -l agree with the file
//	host.cfname      1.1   host-cfname is this host, for the guests running here
//	host.unlisted    1.4   every domain running here is in the file (WARN when not)
//	facility.ready   1.7   every shutdown agent initialised and tested
//	host.registered  2     this host's information file, under the name cftool -l gives
//	host.weightlink  2     the weight-link setting the same on every host
//	guest.setup      3     each guest running here has the host information disk,
//	                       persistent and live
//	guest.readshost  3     each guest running here reads this host on that disk
//	guest.knowshost  5     root on each guest knows every host's key (its own known_hosts)
//
// Step 4 (the host-side account of the libvirt agents) is not checked:
// which account they use is not public.
//
// # Results
//
// A Result has a status: OK, WARN (it held; look at Fix), FAIL (Fix says
// what to do) or SKIP (it could not run, and Reason says why: no libvirt,
// no sdtool, no other hosts, no password; never a silent pass). Err holds
// the typed error behind it where there is one, for errors.Is and
// errors.As. Fixes name the sfkvm commands of examples/sfkvm, or the
// vendor's.
//
// # The JSON contract
//
// A Report marshals as
//
//	{"schema": "sfkvm.preflight/v1",
//	 "results": [{"check": "guest.sudo", "step": "1.2", "title": "sudo NOPASSWD",
//	              "target": "guest22 192.0.2.22", "status": "FAIL",
//	              "reason": "...", "fix": "...", "detail": "...", "error": "..."}, ...],
//	 "counts": {"ok": 30, "warn": 1, "fail": 1, "skip": 1},
//	 "started": "2026-11-30T02:00:00Z", "finished": "2026-11-30T02:00:01.2Z",
//	 "duration_seconds": 1.2, "conf_sha256": "9f86d0..."}
//
// fix, detail and error are left out when empty; error is the text of Err;
// conf_sha256 is left out when the file could not be read, and
// duration_seconds (Duration, in seconds) when the times are not known.
// Nothing is HTML-escaped. The report round-trips: json.Unmarshal of it
// gives the Report back, each Result's Err an error whose Error() is the
// text of "error" (the Go value and its errors.Is stay in the process that
// ran the checks).
// Within v1, new checks, new targets and new fields may appear, and the
// words of reason, fix and detail may change; a renamed or removed field,
// a changed status word, or a changed or reused check ID makes v2 (Schema).
//
// # Monitoring
//
// Report.WritePlugin prints the report as a monitoring plugin (Nagios,
// Icinga, Zabbix's external checks) and returns its code; package
// preflight/metrics writes it for Prometheus. Config.PreviousConfSHA256
// (the last run's Report.ConfSHA256, which the metrics textfile keeps)
// lets conf.changed tell a file edited since.
//
// # What it does not do
//
// It changes nothing: it records no host key (give it a strict prober),
// sets nothing up and restarts nothing. It checks one host's view; run it
// on every host. The lab in preflight/lab runs it in-process.
package preflight
