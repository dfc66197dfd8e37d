// Package sshcheck proves, before the day a host fails, that PRIMECLUSTER
// will be able to log in to every KVM guest over SSH with the credentials
// of kvmguests.conf: steps 1.5 (first SSH login, host keys known to root),
// 1.2 (sudo without a password for a non-root user) and 5 (from each guest,
// the destination hosts' keys are known) of the F.2.2 procedure.
//
// The main call probes every guest at once and returns one Result per
// target, in order, never stopping at the first failure:
//
//	p, err := sshcheck.New(sshcheck.Options{})   // strict: root's known_hosts + /etc/ssh/ssh_known_hosts
//	results := p.ProbeAll(ctx, []sshcheck.Target{
//		{Name: "cfguest11", Address: "10.20.30.50", User: "root", Password: secret}, // a cipher.Secret (cipher.ReadPasswordFile)
//	})
//	for _, r := range results {
//		if errors.Is(r.Err, sshcheck.ErrHostKeyChanged) { ... }
//	}
//
// A probe dials (Options.DialTimeout), checks the host key against
// known_hosts, makes one login attempt, and for a non-root user runs
// `LC_ALL=C sudo -n true`. Failures are *Error values whose Kind is one of
// the Err sentinels, so errors.Is tells them apart: connection refused,
// unreachable, timeout, unknown, changed or revoked host key,
// authentication failed, no usable method, password expired (right, but
// it must be changed first), sudo needs a password, sudo needs a tty, sudo
// failed, command failed, output too large, and a password source that
// failed (ErrPasswordSource, before any connection). Each carries a Hint
// for the administrator and never the password, and says where it happened
// as a [Stage]: StagePassword, StageDial, StageHandshake, StageHostKey,
// StageAuth, StageAuthPassword, StageAuthKeyboardInteractive,
// StageAuthPublicKey, StageSession, StageSudo, StageCommand or
// StagePasswordAge.
//
// What real OpenSSH taught us, and what the package does about it:
//
//   - x/crypto prefers ECDSA host keys, so a known_hosts that holds only the
//     guest's RSA or Ed25519 key would read as "changed". The client asks
//     for exactly the algorithms known_hosts holds for that address
//     (github.com/skeema/knownhosts).
//   - x/crypto hashes the name afresh against every hashed known_hosts
//     line (Debian's default) on every lookup, twice a connection: with a
//     site's 1,000 guests that was 40% of a preflight's CPU. The package
//     keeps an index beside it for the accepted case (each line's HMAC
//     keyed once, each name's lines remembered); anything else (unknown,
//     changed, revoked, certificates, patterns) is still x/crypto's answer,
//     and a test compares the two on generated files.
//   - ssh.Dial's timeout covers the TCP connect only: a peer that accepts
//     and never speaks hangs it. One deadline (Options.HandshakeTimeout)
//     covers banner, key exchange and authentication, and the connection is
//     closed when the context ends. A deadline that passes during
//     authentication is reported as a timeout, never as a wrong password.
//   - Password and keyboard-interactive (many guests run UsePAM with
//     PasswordAuthentication no) are both answered, with exactly one
//     attempt: a second guess would double what pam_faillock counts. The
//     password goes only to a keyboard-interactive round of one hidden
//     prompt that names a password ("Password: ", "user@host's password: ",
//     or PAM's word for it in German, French, Spanish, Portuguese, Dutch,
//     Russian, Japanese, Chinese or Korean) and asks for nothing else (not
//     a one-time code, PIN, token or new password; a passphrase is not a
//     password). Any other challenge (an echoed question, several prompts
//     at once, a round after the password) ends the attempt as
//     ErrNoUsableMethod with the prompt quoted, or ErrAuthFailed when the
//     password prompt comes again; the password is not sent to it.
//   - An expired password, or one that must be changed (chage -d 0), is
//     right and still fails PRIMECLUSTER's login. With keyboard-interactive,
//     PAM accepts it and then asks for a new one ("You are required to
//     change your password immediately"); with password authentication,
//     sshd lets the user in and refuses every command ("Password change
//     required but no TTY available."). Both are ErrPasswordExpired, never
//     a wrong password or a failed sudo; the password is not sent again.
//   - A root login with a password fails exactly like a wrong password under
//     the default PermitRootLogin prohibit-password; the hint says so.
//   - `sudo -n` prints "a password is required" both when a password is
//     needed and when the user is not in sudoers; requiretty is reported
//     apart.
//   - sshd's MaxStartups drops connections beyond its limit: a reset before
//     the host key check is retried once after a random wait. Nothing else
//     is ever retried.
//
// Trusting a new host key is the explicit policy TrustUnknown (the "yes" of
// OpenSSH's first contact): the key is appended as one hashed line to the
// first known_hosts file, under an flock and after a re-check, so that
// concurrent first contacts write one line; the file is created 0600 in a
// 0700 folder owned by the caller; as with OpenSSH, the key is recorded
// when it is seen, before the login is tried; the name is the bare address
// for port 22 and "[addr]:port" otherwise, as OpenSSH writes it. A changed
// key is never replaced: the result shows both fingerprints and the
// ssh-keygen -R command that removes the old entry, to be run after
// checking the new key on the guest.
//
// Every known_hosts file, read or written, user or global, and its folder
// must be the real thing and private: neither may be a symbolic link (the
// folder is opened with O_NOFOLLOW and the file relative to it, so nothing
// can be swapped in between), each must be owned by the caller or root and
// not writable by group or others, and the file must be a regular file.
// Anything else is refused with ErrUnsafeFile, for reading too: a key
// planted in a file that others can write would be trusted. Only the last
// folder (~/.ssh) is created, never a whole path.
//
// Dial, or Open (Probe that keeps the login: one login for the probe and
// the commands after it, where Probe then Dial took two), gives a Client
// whose Run method runs a command on the guest, as root or through `sudo -n --`, with every
// argument quoted for the remote shell. Its shape is the Runner that
// sdfacility and other packages declare, so they drive sdtool or cftool on
// a guest without importing this package. GuestKnowsHost uses it for step 5.
// A command that sudo refused (a password needed, a tty needed) never
// started: SudoRefusal tells that from the command's own failure, with the
// error CheckSudo gives, so that a caller with one command to run needs no
// `sudo -n true` before it (rotate's chpasswd).
// Hold runs a command that keeps something for as long as the caller wants
// (package migrate's lock of a cluster on its nodes: flock(1) whose input
// stays open): it returns once the command prints its ready line, and the
// command ends at Held.Release, at Close, or when the connection ends, so
// a caller that dies leaves nothing held.
//
// What a remote command prints is capped (Limits: 1 MiB of stdout and
// 4 KiB of stderr, unless RunLimited asks for other caps, such as the size
// limit of a file read with cat): at the cap the session is closed, not
// drained, and the command ends in ErrOutputTooLarge naming the stream and
// the cap. Remote text (stderr, a prompt, a disconnect reason, the method
// names a server offers) reaches messages only quoted, escaped and cut
// (QuoteRemote), so a guest cannot write escape sequences to the
// administrator's terminal.
//
// # JSON
//
// ProbeReport is what `sfkvm probe --format=json` prints (ProbeSchema),
// made from ProbeAll's results by NewProbeReport; it never holds a
// password:
//
//	{"schema": "sfkvm.probe/v1", "file": "kvmguests.conf", "ok": 1, "failed": 1,
//	 "guests": [{"guest_name": "guest11", "guest_ip": "192.0.2.11", "port": 22,
//	             "guest_user": "user1", "ok": false, "kind": "host key changed",
//	             "reason": "...", "hint": "...", "fingerprint": "SHA256:...",
//	             "known_fingerprint": "SHA256:...", "remove_command": "ssh-keygen -R ...",
//	             "trusted": false, "sudo_checked": false, "duration_seconds": 0.21}]}
//
// kind, hint and the fingerprints are left out when empty.
//
// # Hosts by key
//
// Guests are probed with the password of kvmguests.conf, because that is
// what PRIMECLUSTER does. Cluster hosts log in to each other as root
// usually does, by public key, and Target.Keys says with which keys:
//
//   - DefaultKeys: what OpenSSH's ssh offers without a configuration:
//     the keys of ssh-agent ($SSH_AUTH_SOCK) first, then ~/.ssh/id_rsa,
//     id_ecdsa and id_ed25519 in OpenSSH's order (DefaultIdentityFiles),
//     a file whose key the agent holds only once. The home folder comes
//     from the password database, as for known_hosts.
//   - IdentityFile(path): that one key (as ssh -i with IdentitiesOnly).
//   - Agent(socket): the agent's keys only.
//
// A key file is a secret and goes through the guarded open of secrets: a
// symbolic link, a file that group or others may read, or one owned by
// another user is refused (the error wraps internal/safefile's rules),
// also among the default files, where OpenSSH would only warn. A key
// protected by a passphrase is used only when ssh-agent holds the same
// key; otherwise it is refused with ErrIdentityEncrypted (wrapping
// x/crypto's *ssh.PassphraseMissingError) and a hint to ssh-add it.
// Nothing ever asks for a passphrase. An agent socket owned by neither
// root nor the caller (sudo -E keeps the user's SSH_AUTH_SOCK) is refused
// before it is used, ErrAgentOwner: that user's agent would choose the
// keys and see every login it signs. A login whose keys are all
// refused is ErrAuthFailed naming the fingerprints offered; a source
// without any key (ErrNoKeys, ErrNoAgent) makes it ErrNoUsableMethod.
// The host's key is checked against known_hosts exactly as a guest's,
// before any key signs anything. A Target with Keys and a Password
// offers the keys first and the password once, if no key was accepted;
// password login to hosts stays possible that way, never the default.
//
// # Password ageing
//
// ReadPasswordAge runs `env LC_ALL=C chage -l USER` through a Client (as
// root, or through sudo -n) and ParsePasswordAge reads it;
// PasswordAge.Check classifies it on a given day (days count in UTC, as
// shadow counts them): must be changed at the next login, expired, or
// account expired are failures (every login with the password fails, and
// PRIMECLUSTER cannot change it); expiring within DefaultWarnDays (14) or
// a chosen number of days is a warning; otherwise ok, or never expires.
//
// Options.DialContext routes connections the way net/http's
// Transport.DialContext does; known_hosts still records the target's own
// address. The sshtest package is an in-process SSH server with scripted
// users, sudo policies and commands for tests and demos.
//
// What it deliberately does not do: public-key login to guests
// (PRIMECLUSTER logs in with the password of kvmguests.conf), agent
// forwarding or jump hosts, ssh_config (IdentityFile lines included),
// security keys (id_*_sk) and certificates as identities,
// host certificates beyond what knownhosts reads, or writing anything but
// a new line to known_hosts. x/crypto takes a password as a string, so one
// copy per attempt cannot be wiped; the package's own copies are.
//
// Unknown about the vendor: how PRIMECLUSTER itself answers
// keyboard-interactive prompts and whether it retries a failed login. We
// assume the strictest reading (one attempt, a hidden password prompt only), so a
// guest that passes here passes there.
package sshcheck
