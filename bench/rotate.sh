#!/usr/bin/env bash
# bench/rotate.sh (issue 13): `sfkvm rotate` of 100 guests across 3 hosts
# against the shell loop an administrator would write for the same job:
# per guest, ssh (password through SSH_ASKPASS) with `sudo -n chpasswd`
# reading USER:PASSWORD on stdin, then sfcipher -c (on a terminal made by
# script(1), as the tool reads only its terminal) and the token put in the
# file with awk; then scp of the file to each host. The loop proves
# nothing (no login with the new password, no read-back); sfkvm proves the
# old login, the new login and every copy's SHA-256.
# The guests are real OpenSSH sshd with PAM: 4 instances in network
# namespaces of the script's own, 25 addresses each (kvmguests.conf refuses
# loopback), each guest with a local account of its own (the script makes
# 100, with NOPASSWD sudo), so every chpasswd is real (and they queue on
# /etc/shadow's lock, for both contenders alike). The hosts are 3 sshd on loopback where root logs in by
# key (ssh_config of the script's own). sfcipher is sfciphertest's fake
# (bench/fakesfcipher), installed where cipher.CheckTool trusts it.
# Each round rotates to a fresh password; interleaved rounds, median.
# Needs root, sshd, sudo, iproute2, script and unshare (util-linux). Not run by test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench/rotate.sh: run as root (network namespaces, sshd, test users)" >&2; exit 77; }
umask 077
ROUNDS=${ROUNDS:-3}
PARALLEL=${PARALLEL:-16}

tmp=$(mktemp -d)
bin=/run/sfkvm-bench-rotate-$$ # root's, 0755 from / down: cipher.CheckTool trusts a sfcipher here
ns=sfkvm-brot-$$
hif=sfkrh$$ gif=sfkrg$$
prefix=sfkr$$
pids=() nss=() ifs=() users=()
sudoers=/etc/sudoers.d/sfkvm-bench-rotate-$$ # no dot: sudo skips such files
cleanup() {
	set +e
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	for i in "${ifs[@]}"; do ip link del "$i" 2>/dev/null; done
	for n in "${nss[@]}"; do ip netns del "$n" 2>/dev/null; done
	for u in "${users[@]}"; do pkill -KILL -u "$u" 2>/dev/null; userdel "$u" 2>/dev/null; done
	groupdel "$prefix" 2>/dev/null
	rm -f "$sudoers"
	rm -rf "$tmp" "$bin"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p /run/sshd
mkdir -m 0755 "$bin"

go build -o "$tmp/sfkvm" ./examples/sfkvm
go build -o "$tmp/timeit" ./bench/timeit
go build -o "$bin/sfcipher" ./bench/fakesfcipher
sfcipher=$bin/sfcipher

. bench/netns.sh
sshd_conf() { # sshd_conf DIR PORT EXTRA...
	local d=$1 port=$2 t
	shift 2
	mkdir -p "$d"
	ssh-keygen -q -t ed25519 -N '' -C '' -f "$d/ssh_host_ed25519_key"
	{
		echo "Port $port"
		echo "HostKey $d/ssh_host_ed25519_key"
		printf '%s\n' "UsePAM yes" "PasswordAuthentication yes" "KbdInteractiveAuthentication no" "PidFile none" \
			"MaxStartups 1000:30:2000" "MaxSessions 100" "StrictModes no" "UseDNS no" "PrintMotd no" "LogLevel ERROR" "$@"
	} > "$d/sshd_config"
}

head -c 12 /dev/urandom | base64 | tr -d '/+=' | sed 's/^/Pw-/' > "$tmp/current"
chmod 600 "$tmp/current"
# One account per guest (a guest's chpasswd must not change another's
# password), NOPASSWD through a group of their own; under the lock of
# scripts/testusers.sh, as useradd gives up when another holds /etc/passwd.
exec 9>/run/sfkvm-testusers.lock
flock -w 60 9
groupadd "$prefix"
for i in $(seq -f %03g 0 99); do
	useradd -M -d / -s /bin/sh -G "$prefix" "${prefix}g$i"
	users+=("${prefix}g$i")
done
# The guests' password hash sets most of their sshd's and chpasswd's work
# per guest, the same for both contenders: SHA-512 by default, as on RHEL
# and SLES (what sfkvm's users' guests run; bench/probe.sh does the same),
# HASH=YESCRYPT for Debian's. The accounts get it here; the rotations'
# chpasswd, which goes through PAM, from a copy of common-password bound
# over Debian's in the guests' mount namespace (pam_unix's method word).
HASH=${HASH:-SHA512}
case $HASH in SHA512) pamhash=sha512 ;; YESCRYPT) pamhash=yescrypt ;; *) echo "bench/rotate.sh: HASH is SHA512 or YESCRYPT" >&2; exit 2 ;; esac
for u in "${users[@]}"; do printf '%s:%s\n' "$u" "$(cat "$tmp/current")"; done | chpasswd -c "$HASH"
sed -E "s/^(password.*pam_unix\.so.*)\b(yescrypt|sha512|md5|bigcrypt|sha256|blowfish|gost_yescrypt)\b/\1$pamhash/" /etc/pam.d/common-password > "$tmp/common-password"
grep -q "pam_unix.so.*\b$pamhash\b" "$tmp/common-password" || { echo "bench/rotate.sh: /etc/pam.d/common-password has no pam_unix method to set to $pamhash" >&2; exit 1; }
printf '%%%s ALL=(root) NOPASSWD: ALL\n' "$prefix" > "$tmp/sudoers"
visudo -cqf "$tmp/sudoers"
install -m 0440 "$tmp/sudoers" "$sudoers"
flock -u 9

# The guests' PAM stack: RHEL's and SLES's by default (MOTD=rhel: no
# update-motd scripts on each login), MOTD=debian for Debian's.
. bench/guests.sh
guest_pam "$tmp"
kh=$tmp/guest_known_hosts
: > "$kh"
for inst in 0 1 2 3; do
	mkns 10.233 $inst 25
	d=$tmp/sshd$inst
	sshd_conf "$d" 22 "ListenAddress 0.0.0.0"
	ip netns exec "$ns-$inst" unshare -m --propagation private sh -c \
		"mount --bind '$tmp/common-password' /etc/pam.d/common-password && $(guest_binds "$tmp") exec /usr/sbin/sshd -D -e -f '$d/sshd_config'" 2>"$d/log" &
	pids+=($!)
	for i in $(seq 2 26); do echo "10.233.$inst.$i $(cat "$d/ssh_host_ed25519_key.pub")" >> "$kh"; done
done
chmod 600 "$kh"

# The hosts: root logs in by key.
ssh-keygen -q -t ed25519 -N '' -f "$tmp/id_ed25519"
cp "$tmp/id_ed25519.pub" "$tmp/authorized_keys"
: > "$tmp/ssh_config"
: > "$tmp/host_known_hosts"
: > "$tmp/empty"
rootrc=$(getent passwd root | cut -d: -f6)/.bashrc
maskrc=
[ ! -f "$rootrc" ] || maskrc="mount --bind '$tmp/empty' '$rootrc' &&"
hosts=()
for h in 2 3 4; do
	port=$((23000 + $$ % 10000 + h))
	d=$tmp/host$h
	sshd_conf "$d" "$port" "ListenAddress 127.0.0.1" "AuthorizedKeysFile $tmp/authorized_keys" "PermitRootLogin prohibit-password" "Subsystem sftp internal-sftp"
	# In a mount namespace where root's ~/.bashrc is empty, as on a fresh
	# host (see bench/site.sh): sshd runs every command through root's
	# bash, and this machine's root may do much in it (a pyenv init, 1 to
	# 3 s a command), which both contenders would pay on every host command.
	unshare -m --propagation private sh -c "$maskrc exec /usr/sbin/sshd -D -e -f '$d/sshd_config'" 2>"$d/log" &
	pids+=($!)
	printf 'Host cfhost%d\n  HostName 127.0.0.1\n  Port %d\n  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n  GlobalKnownHostsFile /dev/null\n  BatchMode yes\n  StrictHostKeyChecking yes\n' \
		$h $port "$tmp/id_ed25519" "$tmp/host_known_hosts" >> "$tmp/ssh_config"
	echo "[127.0.0.1]:$port $(cat "$d/ssh_host_ed25519_key.pub")" >> "$tmp/host_known_hosts"
	mkdir -m 0700 "$d/etc"
	hosts+=("cfhost$h=$d/etc/kvmguests.conf")
done
for _ in $(seq 100); do
	up=0
	for k in 0 1 2 3; do (exec 3<>/dev/tcp/10.233.$k.2/22) 2>/dev/null && up=$((up + 1)); done
	for h in 2 3 4; do ssh -F "$tmp/ssh_config" cfhost$h true 2>/dev/null && up=$((up + 1)); done
	[ $up -eq 7 ] && break
	sleep 0.1
done
[ $up -eq 7 ] || { echo "bench/rotate.sh: sshd did not start:"; cat "$tmp"/sshd*/log "$tmp"/host*/log; exit 1; }
for p in "${pids[@]:0:4}"; do guest_pam_check "$p" "$tmp"; done

# kvmguests.conf: 100 guests, tokens from sfcipher for the current password.
tok=$(printf '%s\n%s\n' "$(cat "$tmp/current")" "$(cat "$tmp/current")" | script -qec "$sfcipher -c" /dev/null | tr -d '\r' | grep -E '^[0-9A-F]+$' | tail -n 1)
i=0
for k in 0 1 2 3; do for a in $(seq 2 26); do
	printf 'guest%03d cfhost%d cluster%03d cfguest%03d 10.233.%d.%d %s %s\n' $i $((i % 2 + 1)) $((i / 2)) $i $k $a "${users[$i]}" "$tok"
	i=$((i + 1))
done; done > "$tmp/kvmguests.conf"
chmod 600 "$tmp/kvmguests.conf"
for h in "${hosts[@]}"; do install -m 0600 "$tmp/kvmguests.conf" "${h#*=}"; done
hostlist=$(IFS=,; echo "${hosts[*]}")

# Each contender rotates from the password in $tmp/current to a new one and
# records it there. A round's new password: random, to the policy.
cat > "$tmp/next" <<'NEXT'
#!/bin/sh
head -c 12 /dev/urandom | base64 | tr -d '/+=' | sed 's/^/Rt-/'
NEXT
chmod 700 "$tmp/next"

cat > "$tmp/sfkvm-rotate.sh" <<SFKVM
#!/bin/sh
set -e
umask 077
new=\$("$tmp/next")
printf '%s\n' "\$new" > "$tmp/new"
"$tmp/sfkvm" rotate -f "$tmp/kvmguests.conf" --old-password-file "$tmp/current" --password-stdin --sfcipher "$sfcipher" \
	--known-hosts "$kh" --ssh-config "$tmp/ssh_config" --hosts "$hostlist" --parallel $PARALLEL < "$tmp/new" > "$tmp/sfkvm.out" 2>&1 ||
	{ cat "$tmp/sfkvm.out" >&2; exit 1; }
mv "$tmp/new" "$tmp/current"
echo sfkvm >> "$tmp/done"
SFKVM

# The administrator's loop. ssh takes the old password from SSH_ASKPASS.
cat > "$tmp/askpass" <<ASK
#!/bin/sh
cat "$tmp/current"
ASK
chmod 700 "$tmp/askpass" "$tmp/sfkvm-rotate.sh"
cat > "$tmp/loop.sh" <<LOOP
#!/bin/bash
set -e
umask 077
export SSH_ASKPASS=$tmp/askpass SSH_ASKPASS_REQUIRE=force
new=\$("$tmp/next")
cp "$tmp/kvmguests.conf" "$tmp/loop.conf"
while read -r name host cluster node ip guser tok; do
	printf '%s:%s\n' "\$guser" "\$new" | ssh -F /dev/null -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$kh" \
		-o GlobalKnownHostsFile=/dev/null -o PubkeyAuthentication=no -o PreferredAuthentications=password \
		-o NumberOfPasswordPrompts=1 -l "\$guser" "\$ip" 'sudo -n chpasswd'
	t=\$(printf '%s\n%s\n' "\$new" "\$new" | script -qec "$sfcipher -c" /dev/null | tr -d '\r' | grep -E '^[0-9A-F]+\$' | tail -n 1)
	awk -v n="\$name" -v t="\$t" '\$1 == n { \$7 = t } 1' "$tmp/loop.conf" > "$tmp/loop.conf.new" && mv "$tmp/loop.conf.new" "$tmp/loop.conf"
done < "$tmp/kvmguests.conf"
install -m 0600 "$tmp/loop.conf" "$tmp/kvmguests.conf"
for h in ${hosts[*]}; do scp -q -F "$tmp/ssh_config" "$tmp/kvmguests.conf" "\${h%%=*}:\${h#*=}"; done
printf '%s\n' "\$new" > "$tmp/current"
echo loop >> "$tmp/done"
LOOP
chmod 700 "$tmp/loop.sh"

echo "guests: 100 real OpenSSH sshd guests with PAM (4 sshd, 25 addresses each; PAM $MOTD), an account each, passwords hashed with $HASH; hosts: 3 sshd, root by key; sfcipher: sfciphertest's fake"
# Each contender does the whole job once before it is timed, and is checked.
check() { # check LABEL: every copy identical, and the current password logs in to a guest
	local f
	for h in "${hosts[@]}"; do cmp -s "$tmp/kvmguests.conf" "${h#*=}" || { echo "$1: ${h%%=*} differs"; exit 1; }; done
	SSH_ASKPASS=$tmp/askpass SSH_ASKPASS_REQUIRE=force ssh -n -F /dev/null -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$kh" \
		-o GlobalKnownHostsFile=/dev/null -o PubkeyAuthentication=no -o PreferredAuthentications=password \
		-o NumberOfPasswordPrompts=1 -l "${users[99]}" 10.233.3.26 true || { echo "$1: the new password does not log in"; exit 1; }
	case $(getent shadow "${users[99]}" | cut -d: -f2) in
	'$6$'*) [ "$HASH" = SHA512 ] ;; '$y$'*) [ "$HASH" = YESCRYPT ] ;; *) false ;;
	esac || { echo "$1: the guests' new password is not hashed with $HASH (the guests' PAM did not take the bench's common-password)"; exit 1; }
	echo "$1: one rotation done: copies identical, new password logs in, hashed with $HASH"
}
"$tmp/sfkvm-rotate.sh"; check "sfkvm rotate --parallel $PARALLEL"; tail -n 4 "$tmp/sfkvm.out"
"$tmp/loop.sh"; check "shell loop"

echo "== 100 guests, 3 hosts, $ROUNDS rounds: sfkvm rotate --parallel $PARALLEL vs the shell loop"
: > "$tmp/done"
"$tmp/timeit" -n "$ROUNDS" -la sfkvm -lb shell-loop -a "$tmp/sfkvm-rotate.sh" -b "$tmp/loop.sh" | tee "$tmp/t.txt"
check "after the rounds"
for c in sfkvm loop; do
	n=$(grep -cx $c "$tmp/done" || true)
	[ "$n" -eq "$ROUNDS" ] || { echo "bench/rotate.sh: $c finished $n of $ROUNDS rounds"; exit 1; }
done
wa=$(awk '$1 == "sfkvm" {print $3 " ms"}' "$tmp/t.txt")
wb=$(awk '$1 == "shell-loop" {print $3 " ms"}' "$tmp/t.txt")
echo "guests' hash $HASH, PAM $MOTD; wall sfkvm rotate: $wa; shell loop: $wb; $(tail -n 1 "$tmp/t.txt")"
