// Package migrate moves a running guest that is a PRIMECLUSTER cluster
// node to another host, live, without its cluster noticing: refused unless
// everything is ready, guarded when the cluster has no host OS failover
// function, and verified afterwards by asking instead of assuming. It is
// the library behind `sfkvm migrate` and `sfkvm drill`.
//
//	rep := migrate.Run(ctx, migrate.Plan{
//		Domain: "guest11", From: "cfhost1", To: "10.0.0.2",
//		Open:   openHost,  // a host's libvirt (a migratesetup.Migrator) and registration
//		Guests: guests,    // kvmguests.conf's lines: the domain's names its cluster
//		Login:  loginNode, // an SSH login to a node (*sshcheck.Client)
//		Guard:  true,      // clusters without the host OS failover function
//	})
//	rep.WriteText(os.Stdout) // the last line says where the guest runs
//
// # The steps, in order, and what each proves
//
//  1. Refusals (stage "before"): nothing is changed until all hold. Both
//     hosts' libvirts answer and their registrations read (host.libvirt,
//     host.registered) and differ (host.distinct); the domain is a line
//     of kvmguests.conf (domain.listed), so its cluster's nodes are known:
//     every line with its guest-clustername; the cluster's lock on this
//     host is free (cluster.lock: flock(2) on StateDir/CLUSTER.lock, which
//     the kernel drops when the process ends, however it ends) and no
//     earlier guarded run left a restore unfinished (cluster.restored); the domain
//     runs on the source and is persistent (a transient one would be lost
//     if the migration failed half-way), its next-boot and running
//     definitions have the host information disk (domain.setup,
//     domain.setup-live), the destination has no domain of its name; every
//     node logs in (node.login) and gives this run the cluster's lock
//     there (node.lock: LockScript, flock(1) on NodeLockPath, held by a
//     command whose input is kept open over the node's SSH login until the
//     run ends: a run from another host is refused, naming the node and
//     the holder; a crash or a cut connection ends the command and the
//     lock with it; the first node in the order of guest names is taken
//     alone, then the others at once, so of two runs at once one goes on),
//     `cftool -n` shows every node UP
//     (node.cftool: never during a failover), `sdtool -s` every agent
//     ready (node.sdtool); the guest reads the source's registration now
//     (guest.readshost, as preflight reads it). Under Guard each node's
//     cluster.config and `cfset -a` are read (node.guardable).
//  2. Guard (stage "guard"), the manual form of the vendor's
//     `sfkvmmigrate -p` (PRIMECLUSTER 4.7 F.3.1): first the State is
//     written (0600, atomic) so that even a crash of the caller can be
//     recovered; then on every node `sdtool -e`, `CLUSTER_TIMEOUT "600"`
//     appended to cluster.config (replaced atomically, its hash proven),
//     `cfset -r` on every node at once, `cfset -a` shows 600.
//  3. The migration (stage "migrate"): Host.Store's MigrateTo, live,
//     persistent on the destination, undefined at the source, bounded by
//     MigrateOptions (timeout, no progress, the maximum downtime); an
//     aborted one leaves the guest on the source.
//  4. Restore (stage "restore"), whatever happened after step 2 (a before
//     step failed, the migration failed, the context was cancelled: it
//     runs on a context of its own; after a migration, from the moment the
//     guest runs on the destination, beside the source's clean-up:
//     MigrateOptions.Resumed): the old cluster.config byte for byte,
//     `cfset -r` on every node at once, `cfset -a` shows the old value,
//     `sdtool -b` where `sdtool -s` shows the facility stopped, `sdtool -s`
//     ready. A node that cannot be restored is named with the commands
//     that finish it (NodeRestore), the State is kept, and Recover
//     finishes the job; while it is kept every Run of the cluster is
//     refused.
//  5. Verify (stage "verify"), by asking: the source's libvirt no longer
//     has the domain, the destination's runs it persistently with the
//     host information disk in both definitions; the guest reads the
//     destination's registration within Settle of the end of the
//     migration (polled from that moment, the guest resumed there, beside
//     the source's clean-up and the restore: the figure
//     is the guest's, ReadsNewHostSeconds), and a guest that still reads
//     its old host is a loud FAIL; within Settle every node shows every
//     node UP and every agent ready.
//
// Report.RunsOn always says where the guest runs at the end, as both
// libvirts answered; Outcome says how the run ended. Drill chains Runs:
// home to each host and back, stopping at the first leg that is not
// Migrated.
//
// Without Guard the guests' shutdown facility and CF timeout are left
// alone: the host OS failover function (F.2.2) looks after them.
//
// # For tests
//
// Everything outside is behind the Plan's hooks: Open returns any
// migratesetup.Migrator (migratesetuptest's fake pair moves a domain
// between two fakes), Login any Node (an sshcheck.Client of an in-process
// sshtest guest). Package migratetest simulates a guest cluster's vendor
// tools and files on such guests, failures included.
package migrate
