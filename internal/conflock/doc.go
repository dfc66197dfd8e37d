// Package conflock is the lock that every sfkvm run which writes
// kvmguests.conf takes on each host whose copy it writes, and the compare
// and swap of its writes.
//
// Two administrators rotating two guests at once must not both read the
// same file and both write it back: the second write would drop the first
// one's new token, and no host could log in to that guest again. So a
// writer takes the lock before it reads, on this host and on every other
// host it will write, and each write replaces the file only if it is still
// the file that the run read (its SHA-256), or already the new one.
//
// The lock is a small file beside the one it guards, ".NAME.sfkvm-lock"
// (".kvmguests.conf.sfkvm-lock"), that names the run holding it: a random
// run ID, the command, the host name, boot ID and process ID of the
// process that took it, and when its lease ends. A lock whose lease has
// ended is stale, and so is one taken on this very boot of this host by a
// process that no longer exists: a crashed run's lock never stays for
// ever, and on its own host it goes at once. A live lock is never broken:
// the second run is refused with the holder named.
//
// The lock file is only read, made and removed under flock(2) on the
// folder itself, so two takers never both win. The protocol has two
// implementations that must agree, tested against each other: Acquire,
// Release and Replace in Go for this host, and the sh scripts
// AcquireScript and ReleaseScript (and GuardScript, which a writing script
// runs first) for other hosts, reached over SSH with nothing of sfkvm
// installed there: they need sh, flock(1) and sha256sum, which every RHEL,
// SLES and Debian host has.
package conflock
