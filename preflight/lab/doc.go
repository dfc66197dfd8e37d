// Package lab is a small PRIMECLUSTER KVM cluster in one process, for tests
// and demonstrations of the whole procedure: what net/http/httptest is to
// an HTTP server. New builds it in a folder, Prepare walks the procedure on
// it (Start does both), Config is preflight's view of it, Close stops it.
//
//	l, err := lab.Start(ctx, t.TempDir(), io.Discard, lab.SudoNeedsPassword("guest22"))
//	if err != nil { ... }
//	defer l.Close()
//	rep := preflight.Run(ctx, l.Config())
//
// In it, real protocols: the manual's four guests (guest11 and guest21 on
// this host cfhost1, guest12 and guest22 on cfhost2) are in-process SSH
// servers (sshcheck/sshtest) behind documentation addresses 192.0.2.11 to
// 192.0.2.22 that the prober's dial hook (Routes) sends to loopback;
// nothing is ever dialled at a documentation address. Both hosts are SSH
// servers too, this host cfhost1 at 192.0.2.1 (Host1) and the other host
// cfhost2 at 192.0.2.2 (Host2), where root (Host2Password on both) reads
// with cat its own copy of kvmguests.conf, its own registration and the
// lab's known_hosts, as preflight and sfkvm site read them; cfhost2 keeps
// its files in the lab's folder under cfhost2/, and has a libvirt of its
// own (Host2Store) where Prepare sets up guest12 and guest22. With
// WithPreflight, each host also answers `SFKVM preflight --format=json
// ARGS`, what sfkvm site runs on every host, by calling a function of the
// caller's as that host; only the arguments of PreflightArgs are passed on
// (another is exit 2). A host also runs, with sh, the lock script of
// rotate --dry-run (sfkvm's conflock.AcquireScript, as it is, in its
// check mode, on its own copy). Any other command is not found (127), so
// that a client of the lab cannot make it run anything else. The shutdown
// facility and cftool of this host are simulated (sdfacility/sdtest). The file's passwords are
// sfkvm sealed tokens under a key of the lab's own (Key), which
// PRIMECLUSTER cannot read.
//
// Libvirt: by default an in-memory store (migratesetup/migratesetuptest),
// so that the lab builds without cgo; WithLibvirt gives it libvirt's test
// driver on a fixture of its own (pass libvirtstore.Open, wrapped). StoreName
// says which one it got.
//
// Other processes: WriteFiles leaves in the lab's folder what a command
// run elsewhere needs to reach the lab while it stays open (sfkvm demo
// --keep prints those commands): the routes (WriteRoutes; ReadRoutes in
// the other process, which refuses a route that does not go from
// 192.0.2.0/24 to 127.0.0.0/8, and a file that group or others may
// write), the key, the hosts' root password and keys, scripts that print
// what the simulated sdtool and cftool printed (cftool as each host), and
// with the test driver a fixture of each host's domains as Prepare left
// them; Files.Hosts lists each host's own (what preflight run as that
// host names).
//
// Faults are options, one place each (SudoNeedsPassword, ChangedHostKey,
// Down, CopyDiffers, ...); Unexpected tells whether a report is what the
// lab must give.
package lab
