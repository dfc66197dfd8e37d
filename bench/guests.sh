# Sourced by bench/probe.sh and bench/rotate.sh, whose guests are real
# OpenSSH sshd with PAM on this machine.
#
# guest_pam DIR: DIR/sshd, the PAM stack the guests' sshd is given (bound
# over /etc/pam.d/sshd in their mount namespace by guest_binds). MOTD=rhel
# (the default) leaves out Debian's `pam_motd.so motd=/run/motd.dynamic`,
# which runs /etc/update-motd.d (env, run-parts, a script, uname) on every
# login, commands or not: RHEL's and SLES's pam_motd only print files, and
# those are the guests sfkvm's users have. Measured here (2026-12-07, 100
# logins): some 45 ms of the guest's CPU a login, paid by every client
# alike. MOTD=debian keeps Debian's stack as it is.
guest_pam() {
	local dir=$1
	case ${MOTD:=rhel} in
	rhel) grep -v -E '^[[:space:]]*session[[:space:]].*pam_motd\.so.*motd=/run/motd\.dynamic' /etc/pam.d/sshd > "$dir/sshd" ;;
	debian) cp /etc/pam.d/sshd "$dir/sshd" ;;
	*) echo "bench: MOTD is rhel or debian" >&2; return 2 ;;
	esac
	if [ "$MOTD" = rhel ] && grep -q 'motd=/run/motd.dynamic' "$dir/sshd"; then
		echo "bench: /etc/pam.d/sshd's update-motd line was not removed (its form is new to guest_pam): fix the pattern in bench/guests.sh, or run with MOTD=debian" >&2
		return 1
	fi
}

# guest_binds DIR: the mount commands (for sh -c, ending in &&) that give
# a guest's sshd DIR/sshd as its PAM stack.
guest_binds() { printf "mount --bind '%s/sshd' /etc/pam.d/sshd &&" "$1"; }

# Guests' CPU: a cpuacct cgroup (v1) or a cgroup (v2) that the guests'
# sshd join, so that a benchmark can say how much of the machine the
# guests' side of a login took, for each contender. guest_cg_make NAME;
# guest_cg_add PID (sshd, before its first connection: what it starts
# stays in the group); guest_cg_ns prints the group's CPU in ns, or
# nothing when there is no such controller; guest_cg_remove.
guest_cg=
guest_cg_make() {
	if [ -f /sys/fs/cgroup/cgroup.controllers ] && mkdir "/sys/fs/cgroup/$1" 2>/dev/null; then
		guest_cg=/sys/fs/cgroup/$1
	elif [ -d /sys/fs/cgroup/cpuacct ] && mkdir "/sys/fs/cgroup/cpuacct/$1" 2>/dev/null; then
		guest_cg=/sys/fs/cgroup/cpuacct/$1
	fi
}
guest_cg_add() { [ -z "$guest_cg" ] || echo "$1" > "$guest_cg/cgroup.procs"; }
guest_cg_ns() {
	if [ -f "$guest_cg/cpu.stat" ]; then
		awk '$1 == "usage_usec" { printf "%d\n", $2 * 1000 }' "$guest_cg/cpu.stat"
	elif [ -f "$guest_cg/cpuacct.usage" ]; then
		cat "$guest_cg/cpuacct.usage"
	fi
}
guest_cg_remove() {
	[ -n "$guest_cg" ] || return 0
	local _
	for _ in $(seq 50); do rmdir "$guest_cg" 2>/dev/null && return 0; sleep 0.1; done
}

# guest_pam_check PID DIR: sshd PID sees DIR/sshd as its PAM stack (read
# through its own mount namespace), or the benchmark stops.
guest_pam_check() {
	cmp -s "/proc/$1/root/etc/pam.d/sshd" "$2/sshd" ||
		{ echo "bench: the guests' sshd ($1) does not see the benchmark's PAM stack (MOTD=$MOTD): the bind mount in its namespace did not take; its log is in the benchmark's sshd folders" >&2; return 1; }
}
