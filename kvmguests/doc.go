// Package kvmguests reads, checks and writes kvmguests.conf, the file that
// tells PRIMECLUSTER's host OS failover function how to log in to each guest
// cluster node (step 1.4 of section F.2.2 of the PRIMECLUSTER 4.7
// Installation and Administration Guide), and checks it the way the vendor's
// "sfkvmtool -c" does (step 1.6), and more strictly.
//
// The file lives at /etc/opt/FJSVcluster/etc/kvmguests.conf ([DefaultPath])
// on every host OS, byte-identical everywhere, owned by root, mode 0600. It
// has one line per guest, seven fields separated by exactly one space:
//
//	guest-name host-cfname guest-clustername guest-cfname guest_IP guest_user guest_passwd
//	guest11 cfhost1 cluster1 cfguest11 10.20.30.50 user1 D0860AB04E1B8FA3
//
// # Use
//
// [Parse] reads from an io.Reader and a name for messages; [ReadFile] adds
// the checks of the file itself. Neither stops at the first problem: they
// return every line read (the [Guest] values among them) and every problem as
// [diag.Diagnostics], in file order (the first [MaxDiagnostics] of them, then one
// that counts the rest):
//
//	cfg, diags, err := kvmguests.ReadFile(kvmguests.DefaultPath, kvmguests.Options{})
//	if err != nil { ... }          // missing or unreadable
//	for _, d := range diags { fmt.Fprintln(os.Stderr, d) }
//	if diags.HasErrors() { ... }   // warnings alone are fine
//	for _, g := range cfg.Guests() { ... }
//
// [Format] is the exact inverse of Parse (blank and comment lines are kept);
// [Marshal] refuses a configuration that has errors; [WriteFile] replaces a
// file atomically with mode 0600 from the first byte, relative to the opened
// folder, and refuses a symbolic link, FIFO or device in the file's place.
// [Compare] tells whether the copies from two hosts are byte-identical and
// shows a unified diff; [CompareFiles] and [ReadCopy] read the copies from
// files. Copies that differ only in line ends (CRLF against LF) are named
// as such ([Comparison].LineEnds, [Comparison.Summary]).
//
// # Inputs
//
// Every file this package reads (ReadFile, CheckFile, ReadCopy,
// CompareFiles) must be a regular file: a FIFO, a device, a socket or a
// folder is refused ([ErrNotRegular], with a message naming the path and
// what it is), never read, and the open never blocks, so a pipe such as
// <(ssh host2 cat ...) must be saved to a file first. Nothing larger than
// [MaxSize] is read ([ErrTooLarge]). Compare diffs only the lines between
// the common start and end of the copies, shows at most [MaxDiffSize] bytes
// of diff and diffs at most [MaxDiffLines] lines (Comparison.Cut says the
// diff was cut), so its memory stays proportional to the copies; CompareFiles
// compares identical files as streams, without holding them.
//
// # Secrets
//
// A password token is kept as a [Token], which never prints itself: not with
// String, any fmt verb, JSON or slog, which all show "<token>", not even its
// length. It is reversible by anyone who knows the vendor's scheme, so it is
// treated as a secret. Messages about a malformed guest_passwd never echo
// the value or its length either: it may be a plain-text password typed by
// mistake. Where a diff or a printed line must show that two tokens differ
// ([RedactLine], [RawLine], Compare), a token is shown as a fingerprint,
// "<token hmac:1a2b3c4d>": HMAC-SHA-256 with a key drawn at random once per
// process, so equal tokens look equal within one run's output, but a
// fingerprint cannot be reversed with a dictionary, and one run's
// fingerprints mean nothing in another.
//
// # Diagnostics
//
// Each problem is a [diag.Diagnostic] (the one diagnostic type of the
// module, in a [diag.Diagnostics] list) with the file, 1-based line and byte
// column of the offending character, the field, a stable [diag.Code], a
// [diag.Severity] and a message, printed as
//
//	FILE:LINE:COL: error|warning: CODE: message
//
// (problems of the file itself have no line and column). Every code is an
// exported constant of this package (the table's names, as [ErrDoubleSpace])
// and a sentinel error: errors.Is(err, kvmguests.ErrDoubleSpace). The name
// and IP rules are shared with migratesetup and sdfacility and have the same
// codes there (ip-syntax was spelt ip-invalid here, and ip-v4-mapped
// ip-mapped, before the rules were written once). The manual
// states only some rules; the others are decided here, as warnings wherever
// the vendor's behaviour is unknown:
//
//	code                 severity  rule
//	field-count          error     exactly 7 fields
//	leading-space        error     no separator before the first field
//	trailing-space       error     no separator after the last field
//	double-space         error     one space between fields (points at the second space)
//	tab                  error     no tab characters
//	crlf                 error     LF line ends: "CRLF line ending" names a CR before the LF
//	bom                  error     no UTF-8 byte-order mark (EF BB BF) at 1:1; the line is checked without it
//	control-char         error     no other control character or DEL
//	ip-syntax            error     guest_IP is an IPv4 or IPv6 address (net/netip)
//	ip-zone              error     no IPv6 zone (%eth0)
//	ip-link-local        error     not IPv6 link-local (fe80::/10), as the manual says
//	ip-not-unicast       error     not unspecified, loopback, multicast or broadcast
//	ip-v4-mapped         warning   IPv4-mapped IPv6 (::ffff:a.b.c.d): write the IPv4 address
//	ip-v4-link-local     warning   IPv4 link-local (169.254.0.0/16)
//	ip-not-canonical     warning   the address in canonical form (2001:db8::1, not 2001:DB8:0::1)
//	passwd-not-token     error     guest_passwd is hexadecimal (else it may be plain text)
//	passwd-odd-length    error     an even number of hex digits
//	passwd-sealed        error     not an sfkvm sealed token (a warning with Options.AllowSealed)
//	passwd-block-length  warning   a multiple of 16 hex digits (sfcipher prints 8-byte blocks)
//	passwd-lowercase     warning   uppercase hex, as sfcipher prints it
//	dup-guest-name       error     guest-name is unique
//	dup-node             error     (guest-clustername, guest-cfname) is unique
//	dup-ip               error     guest_IP is unique (::ffff:a.b.c.d equals a.b.c.d)
//	same-host            warning   two nodes of one guest cluster on one host-cfname
//	name-charset         warning   names within [A-Za-z0-9_.-]
//	name-length          warning   CF and cluster names at most 31 bytes, guest-name at most 64
//	user-name            warning   guest_user a portable POSIX user name, at most 32 bytes
//	blank-line           warning   an empty line (kept by the writer)
//	comment-line         warning   a line starting with # (kept by the writer)
//	no-final-newline     warning   the last line ends with LF
//	no-guests            warning   the file lists at least one guest
//	too-many-problems    error     counts the problems past MaxDiagnostics, not listed (a warning if none is an error)
//	file-symlink         error     the path is not a symbolic link (ReadFile)
//	file-mode            error     mode exactly 0600: no set-id or sticky bit (ReadFile)
//	file-owner           error     owned by root (ReadFile)
//
// (A path that is not a regular file at all is not a diagnostic: ReadFile
// returns an error, see Inputs.)
//
// The manual's own example separates two fields with two spaces
// ("cfguest11  10.20.30.50"): that breaks its own rule, and this package
// reports it at that line and column. The same example lists cfguest12 in
// two clusters; that is allowed, since CF node names are unique only within
// a cluster.
//
// # JSON
//
// CheckReport is what `sfkvm check --format=json` prints (CheckSchema),
// the seven fields of each guest in snake_case and the token redacted:
//
//	{"schema": "sfkvm.check/v1", "file": "kvmguests.conf", "ok": true,
//	 "errors": 0, "warnings": 0,
//	 "guests": [{"line": 1, "guest_name": "guest11", "host_cfname": "cfhost1",
//	             "guest_clustername": "cluster1", "guest_cfname": "cfguest11",
//	             "guest_ip": "10.20.30.50", "guest_user": "user1",
//	             "guest_passwd": "<token>"}],
//	 "diagnostics": [],
//	 "notice": "NOTICE: The check of configuration file succeeded."}
//
// CompareReport is what `sfkvm compare --format=json` prints
// (CompareSchema), every copy against the first:
//
//	{"schema": "sfkvm.compare/v1", "identical": false,
//	 "comparisons": [{"a": "host1.conf", "b": "host2.conf", "identical": false,
//	                  "diff": "--- host1.conf\n+++ host2.conf\n...", "cut": false,
//	                  "line_ends": "crlf-in-b"}]}
//
// diff, cut and line_ends are left out when empty. A byte that is not
// UTF-8 is written \xNN in names, messages and diffs.
//
// # What this package does not do
//
// It does not encrypt passwords (package cipher drives the vendor's
// sfcipher), log in to the guests (package sshcheck) or run sfkvmtool. It
// does not know the vendor checker's own messages and exit codes, which are
// not public: the only message it reproduces is the documented success line,
// [SuccessNotice].
package kvmguests

// SuccessNotice is the line the vendor's "sfkvmtool -c" prints when the file
// is right (from the manual).
const SuccessNotice = "NOTICE: The check of configuration file succeeded."
