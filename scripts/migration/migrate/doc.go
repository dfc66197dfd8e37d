// Command migrate is the host's side of scripts/migration-test.sh.
//
//	migrate register PATH CFNAME IP
//
// writes a host information file with migratesetup.Register (what
// `sfkvm migratesetup -c` writes on a real host).
//
//	migrate run -a-qmp A.sock -a-console A.log -b-qmp B.sock -b-console B.log \
//	    -uri unix:MIG.sock -host-a cfhostA -host-b cfhostB [-accel tcg] \
//	    [-boot-timeout D] [-timeout D] [-after-timeout D] [-stall D] \
//	    [-- COMMAND ARGS...]
//
// waits until the guest on host A reports host A on its console, migrates
// it live to the QEMU waiting on host B (QMP migrate), and follows the
// guest's console on host B: it must report host B from the same boot,
// its counter going on. It also checks what the guest's plain reads showed
// (see guestinit): the descriptor held open across the migration still
// reads host A; a plain read that opens and closes the device reads host
// A too while that descriptor is open, and host B once it is closed. It
// prints the figures and exits 0 only when all of that held, 1 otherwise.
// With a COMMAND (virsh migrate ...), the command migrates instead of QMP
// and is timed; the -qmp flags and -uri are then not needed. The flags of
// run:
//
//	-a-qmp FILE, -b-qmp FILE
//		host A's and host B's QMP socket
//	-a-console FILE, -b-console FILE
//		host A's and host B's console file (the guest's reports)
//	-uri URI
//		the migration URI that host B listens on
//	-host-a NAME, -host-b NAME
//		host A's and host B's CF node name (default cfhostA, cfhostB)
//	-accel NAME
//		the accelerator, for the figures (default tcg)
//	-boot-timeout D
//		how long the guest may take to boot (default 3m)
//	-timeout D
//		how long the migration may take (default 2m)
//	-after-timeout D
//		how long the guest's readings on host B may take, from the
//		migration's end (default 2m)
//	-stall D
//		a console silent this long while waiting is a stuck guest: the
//		wait ends at once, saying when the last report came and what
//		QEMU says (default 1m; 0: no such check)
//
// Every wait that gives up names what it waited for, how long, the last
// report and when it was read.
//
//	migrate console [-timeout D] FILE CFNAME
//
// waits until the console in FILE reports CFNAME (O_DIRECT), at most
// -timeout (default 3m), and prints the report: the test's probe of KVM
// uses it.
//
//	migrate freeport
//
// prints a TCP port of 127.0.0.1 that is free now, for the libvirt part's
// migration stream.
//
// The guest that serves SSH (parts 2 and 3, bench/migrate.sh):
//
//	migrate hostkey [-timeout D] [-known-hosts FILE -addr IP] CONSOLE
//
// waits (default 1m30s) for the guest's SFKVM-HOSTKEY line on its console
// (or the peer's output), checks that the fingerprint is the key's, prints
// the fingerprint, and with -known-hosts appends the key for -addr.
//
//	migrate login -addr IP:PORT -user U -password-file FILE -fingerprint SHA256:... \
//	    -want CFNAME [-restored [-cluster NAME]] [-timeout D]
//
// logs in by password trusting only that host key (never retried when it
// differs), reads the host information disk as sfkvm does (sudo -n, sh -c
// GuestReadCommand) until it names -want, at most -timeout (default 1m);
// with -restored it also checks what a guarded migration must leave:
// cluster.config as the cluster -cluster's initial one (default
// cluster1), cfset -a showing CLUSTER_TIMEOUT 10, sdtool -s ready.
//
//	migrate peer -addr IP:PORT -user U -password-file FILE -node CFNAME \
//	    -cluster NAME -nodes A,B -hostinfo FILE -dir DIR [-log FILE]
//
// serves the guest cluster's other node (an in-process SSH guest) until
// SIGTERM: its disk read is the file -hostinfo; it writes DIR/known_hosts
// and prints its SFKVM-HOSTKEY line; with -log it appends each command's
// program and first argument to FILE as it comes.
//
//	migrate netbridge -group ADDR:PORT -tap NAME
//
// joins the guests' Ethernet segment (UDP multicast on lo, libvirt's
// mcast interface) to the TAP device NAME, until SIGTERM.
//
//	migrate watch -addr IP:PORT -user U -password-file FILE -fingerprint SHA256:... \
//	    -want CFNAME -ready-file FILE -start-file FILE [-interval D] [-timeout D]
//
// logs in, makes -ready-file, stays idle until -start-file exists, then
// reads the disk every -interval (default 50ms) until it names -want and
// prints the Unix time of that read (bench/migrate.sh).
//
//	migrate figures REPORT.json
//
// prints an sfkvm.migrate/v1 report's figures as total=S migration=S
// own=S reads=S; a report of a migration that did not complete is an
// error.
//
//	migrate drillcheck -home CFNAME -other HOST [-legs N] DRILL.json
//
// fails unless an sfkvm.drill/v1 report is the drill that was run: N legs
// (default 2), home to HOST and back, each migrated and verified, the
// drill ok and the guest home; prints a line per leg.
//
//	migrate stallcheck -source CFNAME [-nodes N] REPORT.json
//
// fails unless an sfkvm.migrate/v1 report is a migration that sfkvm's
// no-progress watchdog aborted (--stall-timeout): outcome failed, the
// stall named, the guest on CFNAME, and with -nodes a guarded run's N
// nodes all restored; prints the stall's reason.
package main
