// Package enroll puts one KVM guest (Run), or many in one run
// (RunBatch), into the host OS failover of PRIMECLUSTER (F.2.2) in one
// call, and takes it out again: the login
// user of step 1.2 on the guest with its password and sudo rule, the
// facts of the guest's kvmguests.conf line read where they live, the line
// on every host OS, the host keys both ways, and the domain's host
// information disk. Like rotate and preflight, it composes the step
// packages (cipher, kvmguests, sshcheck, sdfacility, migratesetup, and
// rotate's way of writing every host's copy); they stay usable alone.
//
//	rep := enroll.Run(ctx, enroll.Plan{
//		Address:  netip.MustParseAddr("10.20.30.50"),
//		Admin:    enroll.Admin{Keys: sshcheck.DefaultKeys()},   // root by key, the first time
//		User:     "pcllogin", Password: pw,                     // cipher.Secret
//		Encrypter: func(kvmguests.Guest) cipher.Encrypter { return &cipher.Sfcipher{} },
//		Locator:  enroll.Stores{{Host: enroll.LocalHost, CFName: "cfhost1", Store: store}},
//		GuestKeyFingerprint: "SHA256:...",                      // checked on the guest's console
//		Files:    rotate.Plan{Hosts: []rotate.Host{{Name: "cfhost2"}}, Connect: rotate.OpenSSH{}.Connector()},
//	})
//	rep.WriteText(os.Stdout)
//	if rep.Mismatch() { /* rep.Resume finishes the hosts left behind */ }
//
// # The order, and what each step proves
//
//  1. policy: the new password passes cipher.CheckPassword before
//     anything else (the error names the position and the class of the
//     character, never the password).
//  2. guest-key: the guest's host key is scanned and checked against this
//     host's known_hosts (the types recorded there, so no false "changed"):
//     known, or confirmed by Plan.GuestKeyFingerprint or Plan.ConfirmKey
//     (a terminal). A key nobody confirmed stops the run (ErrKeyNotConfirmed,
//     its fingerprint shown); a changed key always does (ErrKeyChanged).
//     Every later login of the run accepts that one key only.
//  3. login: the administrator logs in (root by key or password, or a
//     user with sudo -n: every command then goes through sudo -n).
//  4. facts: the cluster name (cftool -c) and CF node name (cftool -l)
//     in the guest, parsed by sdfacility; the guest's SMBIOS UUID
//     (/sys/class/dmi/id/product_uuid), looked up by the Locator among the
//     hosts' libvirt domains (Stores: the domain whose definition has
//     that <uuid>; the host that has it; that host's CF node name from its
//     registration). Plan.Given overrides each fact; every fact is shown
//     with where it came from.
//  5. lock: kvmguests.conf is locked on this host and every other host
//     (rotate.LockFiles: a second run, of enroll or rotate, is refused,
//     naming the first), every copy must be identical (or absent
//     everywhere: the first guest of a site), this host's copy must parse
//     without errors, and a line with the same guest-name, guest_IP or
//     (cluster, CF name) but other facts is refused (ErrDuplicate).
//     Nothing has changed yet.
//  6. user, password, sudoers, proof (step 1.2): useradd -m when the user
//     is missing; chpasswd with "USER:PASSWORD" on its stdin, never in
//     argv (skipped when the password already logs in); the drop-in
//     /etc/sudoers.d/sfkvm-USER (SudoersRule: USER ALL=(root) NOPASSWD:
//     ALL, or Plan.SudoCommands) written to a temporary file in the same
//     folder (a dot in its name: sudo skips it), 0440 root, checked with
//     visudo -cf, renamed into place, then the whole configuration
//     checked with visudo -c (refused: taken out again). A drop-in that
//     holds another rule is refused before anything changes
//     (ErrSudoersDiffers), never overwritten; other rules that name the
//     user are named (Report.Notes). Then a fresh login as the
//     user with the new password and sudo -n proves it. From here until
//     the files are written, a failure or an interrupt takes back what
//     this run made on the guest (the user it added, with userdel -r;
//     the drop-in it put), on a context of its own (CleanupTimeout).
//  7. token: the line's token is kept when it is one of this password
//     (Plan.OpenToken opens a sealed one; or the Encrypter makes the same
//     one); else a new one is made.
//  8. keys: the guest's key is recorded in this host's first known_hosts
//     file and in root's known_hosts on every other host (hashed, under
//     flock, a key already there left alone, another key for the address
//     never replaced); every host's key, itself checked against this
//     host's known_hosts, in the guest's root known_hosts (step 5), at
//     the address of its registration (this host's host information
//     file read here, the other hosts' over Files.Connect) unless
//     Plan.GuestKnows gives them; Report.HostAddresses shows each with
//     its source.
//  9. file: the new file (the line added, or its token replaced) is
//     written as rotate writes: this host's file by compare and swap under
//     its lock (atomic, 0600), then every other host's copy over the copy
//     read in step 5, each read back. From this host's file on there is no
//     going back: a copy that could not be written is named
//     (Report.Hosts) with the command that finishes it (Report.Resume:
//     sfkvm rotate --resume, which copies this host's file to the copies
//     that are still the file before). An error before it means no copy
//     changed.
//  10. disk: with a Store for the domain (from the Locator), the host
//     information disk is set up (migratesetup.SetupGuest; Plan.Restart
//     stops and starts a running guest; a transient one is refused); else
//     the exact command is in Report.Next.
//  11. preflight: with Plan.Preflight, preflight for the guest's line
//     (preflight.Config.Guest) on this host and, with
//     Plan.HostPreflight, `sfkvm preflight --guest` on every other host
//     over Files.Connect at the same time (the password on its stdin),
//     read as sfkvm site reads a host's report (site.ReadPreflight):
//     Report.Preflight holds a row per host, its FAIL and WARN rows as
//     what is left there.
//
// A second run with the same plan changes nothing and says so: every
// step is "ok" or "already" (Report.Changed is false). Plan.DryRun reads
// everything (the key, the login, the facts, the copies and their locks'
// preconditions, what the guest has) and changes nothing; the report
// shows what would change: the file's diff with tokens as fingerprints,
// the sudoers content, the keys.
//
// Remove (sfkvm unenroll) takes the line out of every host's copy the
// same way, then, on the guest, the drop-in (only one whose first line is
// enroll's) and, with RemovePlan.RemoveUser, the user.
//
// # Many guests in one run: RunBatch
//
// RunBatch (sfkvm enroll --guest-list) enrolls a Batch: a Plan with what
// the guests share and a Member per guest with what is its own (address,
// user, password, facts, key fingerprint). Steps 1 to 4, 6 and 7 and the
// guest's side of step 8 run Batch.Parallel guests at once; step 5 locks
// every host's copy once and checks every guest's line (two Members with
// the same guest-name, guest_IP or cluster and CF name: the later one is
// refused); step 8 records every guest's key in this host's and each
// host's known_hosts in one command per host, and every GuestKnows key
// (scanned once) in each guest in one command per guest; step 9 writes
// every host's file once, with the line of every guest that got through.
// A guest that fails a step is left out of the file and what the run made
// on it taken back, as Run does, while the others go on. The lock failing,
// this host's write failing or an interrupt before it leaves every copy as
// it was and takes back every guest's changes; from this host's write on,
// every host gets every landed line (a host left behind is named with
// BatchReport.Resume). The BatchReport holds a Report per Member, in
// order; InFile names the guests the file holds, and a guest's
// Report.Result says in a word what became of it. A second run of the same
// batch changes nothing and says so. Its JSON form is BatchSchema.
//
// # JSON
//
// A Report's MarshalJSON is what `sfkvm enroll --format=json` prints
// (Schema) and, for a Report of Remove, `sfkvm unenroll --format=json`
// (RemoveSchema); UnmarshalJSON reads it back. It is printed also when
// the run stopped early (then "ok" is false and "error" says why), never
// holds a password (tokens are fingerprints), and is not HTML-escaped:
//
//	{"schema": "sfkvm.enroll/v1", "dry_run": false, "ok": true, "changed": true,
//	 "address": "10.20.30.50", "user": "pcllogin",
//	 "uuid": "5f1c6d2e-8a41-4b7e-9c3d-2e6f0a1b7c95", "host": "this host",
//	 "facts": {"domain": {"value": "guest11", "source": "libvirt domain with UUID 5f1c6d2e-... on this host"},
//	           "host_cfname": {"value": "cfhost1", "source": "registration of this host (migratesetup -c)"},
//	           "cluster_name": {"value": "cluster1", "source": "cftool -c in the guest"},
//	           "cfname": {"value": "cfguest11", "source": "cftool -l in the guest"}},
//	 "guest_key": "SHA256:...",
//	 "line": "guest11 cfhost1 cluster1 cfguest11 10.20.30.50 pcllogin <token hmac:1a2b3c4d>",
//	 "diff": "...", "sudoers_file": "/etc/sudoers.d/sfkvm-pcllogin", "sudoers": "...",
//	 "steps": [{"name": "policy", "state": "ok", "detail": "the new password passes the policy of step 1.2"},
//	           {"name": "file", "state": "done", "detail": "2 copies written and read back"},
//	           {"name": "disk", "state": "done", "detail": "..."}],
//	 "hosts": [{"host": "this host", "file": "/etc/opt/FJSVcluster/etc/kvmguests.conf",
//	            "holds": "new", "sha256": "...", "wrote": true}],
//	 "host_addresses": [{"host": "this host", "address": "10.20.30.1:22", "source": "registration of this host (/var/lib/sfkvm/hostinfo)"}],
//	 "preflight": [{"host": "this host", "counts": {"ok": 9, "warn": 0, "fail": 0, "skip": 9}, "left": []}],
//	 "next": ["sfkvm preflight ..."], "notes": ["..."], "elapsed_seconds": 4.2}
//
// "steps" is always there (the states are State's words); empty strings
// and lists are left out: "resume" (the command that finishes the hosts
// left behind) and "error" (what stopped the run) appear only when set.
//
// # What it does not do
//
// It does not register hosts (migratesetup -c), touch the shutdown
// facility, or remove known_hosts entries on unenroll. A
// password the run set on a user that existed before cannot be put back
// (sfkvm never knew the old one): the report notes it. A run killed hard
// (SIGKILL) between the guest's changes and the files leaves the user and
// drop-in without a line: a second run finishes it, unenroll removes it.
// Other sudoers rules that name the user are named in Report.Notes and
// left as they are (one later in the order that asks for a password makes
// the proof fail, and the run takes back what it made). Remove deletes
// the guest's drop-in only as enroll wrote it (one changed by hand is
// reported and left, ErrSudoersDiffers) and never removes root.
package enroll
