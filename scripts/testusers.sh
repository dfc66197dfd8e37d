#!/usr/bin/env bash
# Makes (or removes) the local accounts and sudoers rules that sshcheck's
# integration tests log in to over real sshd, one set per PREFIX so that
# test packages running at once never share accounts:
#   PREFIX_nopw  sudoers: PREFIX_nopw ALL=(root) NOPASSWD: ALL   (step 1.2)
#   PREFIX_pw    sudoers: PREFIX_pw ALL=(root) ALL               (sudo wants a password)
#   PREFIX_none  not in sudoers
#   PREFIX_tty   NOPASSWD, but Defaults:PREFIX_tty requiretty
# The password of all four is read from stdin (one line), never from the
# command line. The rules go to /etc/sudoers.d/sfkvm-test-PREFIX after
# `visudo -cf` accepted them. Run as root.
#
#   scripts/testusers.sh create PREFIX < password-file
#   scripts/testusers.sh remove PREFIX
#
# The password is set through PAM, as passwd would (pam_unix: yescrypt
# on Debian 12), unless SFKVM_TESTUSERS_CRYPT names a method of
# `chpasswd -c` (SHA512, ...): then it is hashed with that method, without
# PAM. The tests set SHA512 (internal/sshdtest): every password login
# checks the hash, and yescrypt's (16 MiB, by design) was more than half of
# sshd's CPU for a password login on the project's 2-core machine, where
# the accounts and their logins are fixtures, not what is tested.
set -euo pipefail
usage() { echo "usage: $0 create|remove PREFIX (password on stdin for create)" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1 prefix=$2
[[ $prefix =~ ^[a-z][a-z0-9]{1,15}$ ]] || { echo "$0: PREFIX must be 2-16 lowercase letters and digits" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "$0: must run as root" >&2; exit 77; }
# holder_of LOCKFILE: the processes that hold the lock (from /proc/locks),
# with what the holder wrote into the file.
holder_of() {
	local ino pids="" p
	ino=$(stat -c %i "$1" 2>/dev/null) || { echo "(no lock file)"; return; }
	for p in $(awk -v ino=":$ino\$" '$2=="FLOCK" && $6 ~ ino {print $5}' /proc/locks 2>/dev/null | sort -u); do
		[ "$p" = $$ ] && continue
		pids="$pids $p:$(ps -o args= -p "$p" 2>/dev/null | cut -c1-80)"
	done
	echo "${pids:- (no process found in /proc/locks)}; the last holder wrote: $(head -c 200 "$1" 2>/dev/null | tr '\n' ' ')"
}
users=("${prefix}_nopw" "${prefix}_pw" "${prefix}_none" "${prefix}_tty")
sudoers=/etc/sudoers.d/sfkvm-test-$prefix # no dot: sudo skips such files

# useradd and userdel lock /etc/passwd and give up when another holds it:
# one of us at a time. The holder writes its pid and what it does into the
# lock file, so that a wait that gives up names who held the lock.
lockfile=/run/sfkvm-testusers.lock
exec 9<>"$lockfile"
if ! flock -n 9; then
	echo "$0: $action $prefix: waiting for $lockfile, held by: $(holder_of "$lockfile")" >&2
	if ! flock -w "${SFKVM_TESTUSERS_LOCK_WAIT:-120}" 9; then
		echo "$0: $action $prefix: gave up after ${SFKVM_TESTUSERS_LOCK_WAIT:-120} s waiting for $lockfile, held by: $(holder_of "$lockfile")" >&2
		exit 75
	fi
fi
# (truncate through the descriptor that holds the lock: not >"$lockfile")
: >/proc/self/fd/9 2>/dev/null || true
echo "pid $$ ($0 $action $prefix, parent: $(ps -o args= -p "$PPID" 2>/dev/null | cut -c1-80))" >&9

remove() {
	rm -f "$sudoers"
	for u in "${users[@]}"; do
		id "$u" >/dev/null 2>&1 || continue
		# A session of the user may still be ending: kill it and retry.
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			pkill -KILL -u "$u" 2>/dev/null || true
			userdel -r "$u" 2>/dev/null && break
			sleep 0.2
		done
		if id "$u" >/dev/null 2>&1; then userdel -f -r "$u"; fi
	done
}

case $action in
create)
	IFS= read -r password || true
	[ -n "$password" ] || { echo "$0: no password on stdin" >&2; exit 2; }
	remove
	for u in "${users[@]}"; do
		useradd -m -s /bin/sh "$u"
	done
	# (one chpasswd for the four)
	for u in "${users[@]}"; do
		printf '%s:%s\n' "$u" "$password"
	done | chpasswd ${SFKVM_TESTUSERS_CRYPT:+-c "$SFKVM_TESTUSERS_CRYPT"}
	tmp=$(mktemp)
	trap 'rm -f "$tmp"' EXIT
	cat >"$tmp" <<RULES
# sfkvm integration tests ($prefix); removed by scripts/testusers.sh remove $prefix
${prefix}_nopw ALL=(root) NOPASSWD: ALL
${prefix}_pw ALL=(root) ALL
Defaults:${prefix}_tty requiretty
${prefix}_tty ALL=(root) NOPASSWD: ALL
RULES
	visudo -cqf "$tmp"
	install -m 0440 -o root -g root "$tmp" "$sudoers"
	visudo -cq
	;;
remove)
	remove
	;;
*)
	usage
	;;
esac
