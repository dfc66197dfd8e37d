// Package sfkvm is the root of a module of building blocks that prepare
// PRIMECLUSTER KVM guest cluster nodes for live migration with the host OS
// failover function, and prove that they are ready.
//
// The one-time set-up is section F.2.2 of the PRIMECLUSTER 4.7 Installation
// and Administration Guide, which Fujitsu publishes; this repository holds
// no copy of it. The table below quotes what sfkvm takes from it, and the
// packages' documentation refers to its steps by these numbers. Done by hand, a mistake in it shows up only when
// a host dies and the failover does not happen. Each package of this module
// does, or checks, one of its steps, and can be used alone:
//
//	step  what must be true                                        package
//	1.1   facts per guest: IP, domain, cluster and CF node names   kvmguests (data), sshcheck (reads them live)
//	1.2   non-root login user: password policy, NOPASSWD sudo      cipher (policy), sshcheck (sudo)
//	1.3   the password encrypted with sfcipher -c                  cipher
//	1.4   /etc/opt/FJSVcluster/etc/kvmguests.conf written exactly  kvmguests
//	1.5   root on every host knows each guest's host key           sshcheck
//	1.6   the file checked (sfkvmtool -c)                          kvmguests
//	1.7   shutdown facility restarted (sdtool -e, sdtool -b)       sdfacility
//	2     host registered (sfkvmmigratesetup -c -i hostip)         migratesetup
//	3     each guest stopped, set up (-s), started                 migratesetup (+ rpcstore, or libvirtstore with cgo)
//	4     the host-side account exists on every host               (not checked: the account is not public)
//	5     every guest knows every host's key                       sshcheck (GuestKnowsHost)
//
// The step packages do not import each other (kvmguests takes the shapes
// of password tokens from the leaf cipher/token, which has no
// dependencies); where one needs what another does, it takes plain values,
// and where two need the same outside effect each declares the same small
// interface (the Runner of sdfacility and sshcheck: sshcheck's Client runs
// sdtool or cftool on a guest). Fakes that tests and in-house tools can
// import sit beside the packages: cipher/sfciphertest, sshcheck/sshtest,
// sdfacility/sdtest, migratesetup/migratesetuptest, and for the whole
// procedure preflight/lab.
//
// libvirt is reached two ways, both migratesetup.Store and both checked by
// one conformance suite (migratesetup/storetest): migratesetup/rpcstore
// speaks libvirt's RPC protocol to the host's daemon socket in pure Go
// (what the CLI uses, so its binary is static), and
// migratesetup/libvirtstore wraps libvirt's C library (in-process, and
// libvirt's test driver). Only libvirtstore uses cgo; built without it,
// its Open returns an error matching libvirtstore.ErrNoLibvirt, so no
// program needs build tags. The library packages build with CGO_ENABLED=0 for macOS and
// Windows too (parsing, policy checks, sealed tokens); what needs Unix
// there (guarded file opens, known_hosts, driving sfcipher) returns an
// error matching errors.ErrUnsupported.
//
// Package preflight composes them into the whole-procedure check, and is
// the one package that imports the others: preflight.Run(ctx, cfg) returns
// one result per check and target, each with a stable check ID (such as
// guest.sudo), the manual's step it guards, a status (OK, WARN, FAIL, SKIP),
// the reason and what to do; preflight.Checks maps every check to its step.
// Package preflight/lab is the demo's lab as a test double: lab.New builds
// in-process SSH guests behind documentation addresses, a second host, a
// simulated shutdown facility and a libvirt store, with faults as options,
// so that another project's tests run the whole procedure in a few lines.
//
// Package preflight/metrics writes a report as Prometheus metrics for
// node_exporter's textfile collector (names and labels are a documented
// contract). Package site runs preflight on every cluster host over SSH,
// at once, and merges one report with the checks only a view of every host
// can make (one kvmguests.conf, one -w, one host key per guest); package
// site/metrics writes that as metrics. dist/ holds the systemd units and
// the Prometheus alerts that run them on a timer.
//
// Package rotate composes them too (cipher, kvmguests, sshcheck and
// preflight's targets): rotate.Run changes guests' passwords and every
// host's kvmguests.conf together, each step proven by a login or a
// read-back, with the old password put back on any failure before the
// files are written, and a loud report naming the hosts left behind after.
//
// The reference command line in examples/sfkvm is a thin shell over them;
// its preflight command prints preflight's report, and its demo command
// runs the procedure against the lab. examples/genconf,
// examples/probefleet, examples/setupall, examples/readiness and
// examples/rotateone are short programs that embed the library.
//
// # Start here
//
// Check a kvmguests.conf the way sfkvmtool -c does, and more strictly:
//
//	cfg, diags, err := kvmguests.ReadFile(kvmguests.DefaultPath, kvmguests.Options{})
//	if err != nil {
//		return err // missing or unreadable
//	}
//	for _, d := range diags {
//		fmt.Println(d) // FILE:LINE:COL: error|warning: CODE: message
//	}
//	if diags.Err() == nil { // warnings only
//		fmt.Println(kvmguests.SuccessNotice)
//	}
//	_ = cfg.Guests()
//
// or from a shell: go run ./examples/sfkvm check -f /etc/opt/FJSVcluster/etc/kvmguests.conf
// (go run ./examples/sfkvm demo shows every step working).
package sfkvm
