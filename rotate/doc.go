// Package rotate changes the login password of KVM guests and the
// guest_passwd tokens of kvmguests.conf on every host OS together, proving
// each step by a login, so that the guests' passwords and every host's file
// never disagree without the report saying so. Like preflight, it composes
// the step packages (cipher, kvmguests, sshcheck, preflight's targets and
// sealed-token opening); they stay usable alone.
//
//	rep := rotate.Run(ctx, rotate.Plan{
//		NewPassword: pw,                                     // cipher.Secret
//		OldPassword: func(g kvmguests.Guest) sshcheck.PasswordSource { return oldPW },
//		Encrypter:   func(kvmguests.Guest) cipher.Encrypter { return &cipher.Sfcipher{} },
//		Prober:      prober,                                 // sshcheck.New(...)
//		Hosts:       []rotate.Host{{Name: "cfhost2"}},
//		Connect:     rotate.SSHConnector(prober, hostTargets), // or rotate.OpenSSH{}.Connector()
//	})
//	rep.WriteText(os.Stdout)
//	if rep.Mismatch() { /* act now: rep.Resume */ }
//
// # The order, and what each step proves
//
//  1. The plan: the new password passes cipher.CheckPassword; this host's
//     file is locked (internal/conflock: a second run is refused with
//     ErrLocked, naming the first), then read, and parses without errors;
//     every guest named is in it.
//  2. Every other host's copy is locked and hashed by one sh script that
//     also proves everything the write will need (the folder a real,
//     root-owned folder that group and others cannot write, a file made
//     and renamed there, room for a copy, the tools): a host that cannot
//     be reached (ErrHostNotReached, its key named when unknown or
//     changed), is not ready (ErrHostNotReady), is locked (ErrLocked) or
//     whose copy was edited apart (ErrCopiesDiffer) stops the run before
//     any guest changes.
//  3. Per guest, at most Parallel at once: the new token is made (the
//     vendor's sfcipher, or a sealed token bound to the guest); the current
//     login is proven with the old password; the password is changed with
//     `chpasswd` (through `sudo -n --` for a non-root user),
//     "USER:PASSWORD" on its stdin, never in argv: the one command a
//     rotation runs on a guest, since sudo's own refusal (no NOPASSWD, a
//     tty required) means chpasswd never started and the guest is Kept at
//     the stage "sudo" (a dry run runs `sudo -n true` instead); a fresh
//     login with the new password proves it. Any failure from
//     the change on puts the old password back through the session still
//     logged in with it and proves it by a fresh login: the guest is Kept.
//     An interrupt during the change lets chpasswd finish first (within
//     CleanupTimeout), so that it cannot set the new password after the
//     old one was put back.
//     A guest that cannot be proven either way is a Mismatch.
//  4. Once, after every guest: the new file (the old one with the rotated
//     guests' new tokens; a guest that failed keeps its old token) replaces
//     this host's file atomically (internal/safefile: a 0600 temporary file
//     in the same folder, fsync, rename, folder fsync), only if it is still
//     the file read in step 1 (compare and swap under the lock). If that fails, or the
//     run was interrupted before it, every rotated guest gets its old
//     password back, proven by a login: nothing changed anywhere.
//  5. From here there is no going back: an interrupt no longer stops the
//     run, which finishes the other hosts within CleanupTimeout (a second
//     signal ends the sfkvm program at once). Every other host's file is replaced by a small sh script run over SSH
//     with the file on stdin, under that host's lock and only over the copy
//     read in step 2 (else conflock.ErrChanged): mktemp in the same folder (0600 from the first
//     byte, umask 077), dd conv=fsync, the SHA-256 of what arrived checked
//     against what was sent (so a transfer cut short is never renamed into
//     place), chown root, mv -f (rename), sync of the folder.
//  6. Every copy is read back (sha256sum), even after an interrupt, and
//     compared with the new file. A host that does not hold it is named in
//     the report, which then says MISMATCH, shows each rotated guest's old
//     and new token fingerprints and the command that finishes the job
//     (Report.Resume, the CLI's whole command with Plan.ResumeCommand);
//     Retry does it: it checks this host's file (no errors, a guest), then
//     copies it to every host whose copy is the file before the rotation
//     (Plan.Previous) or differs from it in tokens only, refuses any other
//     copy with the diff (ErrNotPrevious), and reads every copy back.
//     Every lock is released; one that cannot be (a host gone) is named in
//     Report.Notes and goes when its lease ends, or at once for the next
//     run of the host that took it.
//
// Each command on another host is bounded by Plan.HostTimeout and the
// run's context (the clean-up's, CleanupTimeout, from step 4 on); the
// Prober's CommandTimeout does not apply to hosts. A copy written and then
// not read back is "not confirmed", never reported as one that differs.
// Passwords the run knows are scrubbed from every text a guest or host
// printed (Redacted).
//
// Tokens appear only as keyed fingerprints ("<token hmac:1a2b3c4d>", the
// form kvmguests' diffs use); passwords never appear.
//
// # Hosts
//
// Hosts are reached through HostRunner, which *sshcheck.Client implements
// (SSHConnector: a key or a password login, as the targets say) and OpenSSH
// implements through the system's ssh client (root's ssh_config, keys and
// agent, BatchMode). The host user must be root, or have sudo -n for sh.
//
// # What it does not do
//
// It does not change the guests' password ageing, does not restart
// anything, and cannot tell what PRIMECLUSTER has cached: run sfkvm
// preflight afterwards. A run killed hard (SIGKILL, power loss) during
// step 3 can leave a guest with the new password and the files with the old
// token; the token fingerprints of the last report say which.
//
// # JSON
//
// A Report marshals as schema sfkvm.rotate/v1 (Schema; the example is
// on Report.MarshalJSON): snake_case keys, tokens as their fingerprints,
// never HTML-escaped, each error as its text. It round-trips:
// json.Unmarshal gives the Report back, each error one whose Error() is
// that text.
package rotate
