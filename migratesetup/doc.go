// Package migratesetup does steps 2 and 3 of PRIMECLUSTER's host OS
// failover set-up (section F.2.2): it registers each host's information,
// and lets each guest read the information of the host it runs on, also
// after a live migration. It is sfkvm's own mechanism, because how the
// vendor's `sfkvmmigratesetup -s` shows the host's file to the guest is
// not public.
//
// # Registering a host
//
// Register writes a HostInfo (host CF node name, host IP, weight link on
// or off, a format version) to DefaultPath, /var/lib/sfkvm/hostinfo, the
// same path on every host: root-only (0600 from the first byte), replaced
// atomically, as text padded with zero bytes to whole 512-byte sectors:
//
//	# sfkvm host information, written by Register; do not edit
//	format 1
//	host-cfname cfhost1
//	host-ip 10.20.30.40
//	weight-link on
//
// The host IP is IPv4 or IPv6, not IPv6 link-local (the manual forbids
// it), without a zone, not unspecified, loopback, multicast or broadcast.
// weight-link off is the vendor's "-w off", which must be the same on every
// host: Compare checks the registrations of all hosts and names the hosts
// that differ. The host CF node name is given by the caller (the CLI reads
// `cftool -l`); this package runs no vendor tool.
//
// # Setting up a guest
//
//	results := migratesetup.SetupGuests(ctx, store, []string{"guest11", "guest12"}, migratesetup.Options{})
//
// SetupGuest adds to the shut-off guest's persistent definition a
// read-only, shareable virtio disk backed by the host information file,
// with the serial "sfkvm-hostinfo". Inside a Linux guest, udev shows it as
// /dev/disk/by-id/virtio-sfkvm-hostinfo (GuestDevice), and sysfs names it
// by its serial with or without udev. libvirt lets a
// domain with a read-only disk migrate without shared storage (its
// safety check skips read-only disks), and after a migration the disk is
// the destination host's file at the same path: the guest reads the host it
// runs on now. scripts/migration-test.sh shows it with real QEMU guests
// (see docs/testing.md for its figures).
//
// # The guest's side
//
// ReadGuest reads the disk with O_DIRECT and parses it with Parse, the
// host's parser. It finds the disk without udev (an initramfs, a minimal
// guest): FindGuestDevice looks for the block device whose
// /sys/block/NAME/serial is "sfkvm-hostinfo", then for udev's link; it
// also takes an explicit device path. O_DIRECT matters: the guest's page
// cache keeps what it read before the migration. What the migration test
// observed: a plain read through a descriptor held open across the
// migration still shows the source host; a plain read that opens and
// closes the device each time shows it too while another descriptor on
// the device stays open, and shows the destination host once the last
// one is closed (the kernel drops a block device's cache at its last
// close); an O_DIRECT read shows the destination host at once.
//
// From outside the guest, without sfkvm on it, GuestReadCommand is a shell
// command line that prints the disk's first sectors (found the same way,
// read with dd and O_DIRECT; run it as root, through SSH and sudo say),
// and ParseDisk parses what it printed.
//
// The path, the serial, the device name and the format are a contract with
// every guest: they never change, and a newer format will carry a new
// version number that older readers refuse by name.
//
// Why not a shared folder: QEMU blocks the migration of a guest that has a
// 9p export mounted, and libvirt refuses to migrate a domain with a
// virtiofs device ("migration with virtiofs device is not supported").
//
// # The edit
//
// AddHostInfoDisk edits the text of the definition: it inserts our disk
// after the last disk and leaves every other byte as it was, including
// elements that no Go struct models (a struct round trip through
// encoding/xml or libvirtxml can drop them). It is idempotent: a guest that
// has our disk with the same source is "already set up"; our serial with
// another source is ErrConflictingDisk, never a silent rewrite.
// RemoveHostInfoDisk undoes it byte for byte. Diff shows the change as a
// unified diff with secrets (graphics passwords and the like) redacted.
//
// libvirt is behind the Store interface, so the core and its plan build
// with CGO_ENABLED=0 and are tested with the fake in migratesetuptest; the
// real stores are package rpcstore (the host's libvirt daemon over its
// socket, pure Go) and package libvirtstore (libvirt's C library, cgo),
// both checked by migratesetup/storetest. Each reads the inactive
// definition with its secrets (without them, defining it again deletes a
// VNC password) and defines it again with schema validation.
//
// # What it refuses, and what it does not do
//
// A transient domain (virsh create) is refused always, whatever the
// options (ErrTransient): it has no persistent definition to edit, and
// shutting it down would delete it. A guest that is not shut off is
// refused (ErrNotShutOff): libvirt would silently change the next-boot
// definition of a running domain. With Options.Restart a running guest is
// handled in this order: the new definition is defined first (libvirt
// validates it and keeps it as the next boot while the guest runs), so a
// definition libvirt refuses never costs a restart; only then is the
// guest asked to shut down (ACPI), waited for (ShutdownTimeout; forced off
// only with Options.Force) and started again. When the stop or the start
// fails after that, the error is ErrNotRestarted and says in which state
// the guest was left. A paused, crashed, suspended or shutting-down guest
// is refused with or without Restart (a paused guest cannot shut down by
// ACPI; waiting would only run into the timeout), naming its state.
// SetupGuest refuses while this host's information file is missing (the
// guest could not start with a disk whose file is absent) or does not
// parse (the guest would read nonsense). Nothing here
// hot-plugs a disk into a running guest.
//
// # JSON
//
// Report is what `sfkvm migratesetup --format=json` prints (Schema): a
// registration,
//
//	{"schema": "sfkvm.migratesetup/v1", "action": "register",
//	 "path": "/var/lib/sfkvm/hostinfo",
//	 "host": {"host_cfname": "cfhost1", "host_ip": "10.20.30.40", "weight_link": "on"},
//	 "warnings": [{"column": 1, "field": "host-ip", "code": "ip-v4-mapped", "severity": "warning", "message": "..."}]}
//
// or a run over guests (action "setup" or "remove"),
//
//	{"schema": "sfkvm.migratesetup/v1", "action": "setup", "path": "/var/lib/sfkvm/hostinfo",
//	 "results": [{"domain": "guest11", "outcome": "set up", "state": "shut off",
//	              "diff": "...", "stopped": "shutdown", "started": true, "error": "..."}]}
//
// (warnings left out when there are none, and the empty fields of a
// result). Reading is what `sfkvm hostinfo --format=json` prints in a guest
// (ReadingSchema; with --watch, one such object a line, with its time):
//
//	{"schema": "sfkvm.hostinfo/v1", "time": "2026-11-30T02:00:00.123Z",
//	 "device": "/dev/vdb",
//	 "host": {"host_cfname": "cfhost1", "host_ip": "10.20.30.40", "weight_link": "off"}}
//
// HostInfo's JSON is the file's words: weight_link is "on" or "off" (the
// vendor's -w off).
//
// # Diagnostics
//
// Parse, HostInfo.Check, CheckCFName and CheckHostIP report
// [diag.Diagnostics], the one diagnostic type of the module: file, line and
// byte column from 1 (0 for a value that came from a flag), the field (the
// file's key: host-cfname, host-ip), a stable code, a severity and a
// message. Every code is an exported constant of this package and an error
// for errors.Is:
//
//	code                  severity  rule
//	hostinfo-too-large    error     at most MaxFileSize bytes (CodeTooLarge)
//	hostinfo-bad-padding  error     only NUL after the first NUL (CodeBadPadding)
//	hostinfo-not-text     error     printable 7-bit ASCII (CodeNotText)
//	hostinfo-cr           error     LF line ends (CodeCR)
//	hostinfo-syntax       error     "key value" with one space (CodeSyntax)
//	hostinfo-unknown-key  error     a key of this format (CodeUnknownKey)
//	hostinfo-duplicate    error     each key once (CodeDuplicateKey)
//	hostinfo-missing      error     every key present (CodeMissingKey)
//	hostinfo-version      error     format first, and supported (CodeVersion)
//	hostinfo-no-newline   error     the last line ends with LF (CodeNoNewline)
//	hostinfo-weight-link  error     weight-link on or off (CodeBadWeightLink)
//	cfname-invalid        error     a CF name the file can hold: not empty, no space, control or non-ASCII (CodeBadCFName)
//	name-charset          warning   CF name within [A-Za-z0-9_.-] (CodeNameCharset)
//	name-length           warning   CF name at most 31 bytes (CodeNameLength)
//	ip-syntax             error     an IPv4 or IPv6 address (CodeIPSyntax)
//	ip-zone               error     no IPv6 zone (CodeIPZone)
//	ip-link-local         error     not IPv6 link-local, as the manual says (CodeIPLinkLocal)
//	ip-not-unicast        error     not unspecified, loopback, multicast or broadcast (CodeIPNotUnicast)
//	ip-v4-mapped          warning   not IPv4-mapped IPv6 (CodeIPv4Mapped)
//	ip-v4-link-local      warning   not IPv4 link-local (CodeIPv4LinkLocal)
//	ip-not-canonical      warning   the address in canonical form (CodeIPNotCanon)
//
// The name and IP rules are the same as kvmguests' (one code per rule
// across the module); cfname-style, the old single code for both name
// warnings, is now name-charset and name-length.
//
// # Unknowns, and what we decided
//
// The vendor's own mechanism and file are not public; sfkvm does not
// pretend to be compatible with them. QEMU runs as an unprivileged user
// and the file is root-only: it relies on libvirt's dynamic ownership (on
// by default), which gives QEMU the disk's file when the guest starts. A
// running guest keeps the file it opened: a new registration reaches it at
// its next start or migration. A guest that is not Linux finds the disk
// by its serial some other way; ReadGuest takes the device path.
package migratesetup
