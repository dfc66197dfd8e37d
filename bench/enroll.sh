#!/usr/bin/env bash
# bench/enroll.sh (issue 21): `sfkvm enroll` of 50 guests on 3 hosts against
# the shell script an administrator would write for the same steps, per
# guest: the guest's facts with ssh (cftool -l, cftool -c), useradd,
# chpasswd (USER:PASSWORD on stdin), a sudoers drop-in checked with
# visudo -cf and moved into place, sfcipher -c (on a terminal made by
# script(1)), ssh-keyscan of the guest into this host's and every host's
# known_hosts and of every host into the guest's; at the end the file
# copied to every host with scp. The script trusts every key on first use
# and proves nothing; sfkvm checks the guest's key against the fingerprint
# given, proves a login with the new password and sudo -n, and locks,
# compares and reads back every host's copy. sfkvm's side is ONE run,
# `sfkvm enroll --guest-list FILE` (enroll.RunBatch): the guests' own
# steps --parallel at once (8), one lock and one write of every host's
# file, the guests' keys recorded on each host in one round.
# Guests: real OpenSSH sshd with PAM in network namespaces of the script's
# own, 25 addresses each, each sshd with its own copy of /etc (useradd,
# chpasswd and visudo work on it; this machine's accounts are never
# touched), /home, /root and /opt as tmpfs (a fake cftool that names the guest
# after the address it was reached at). Root logs in to them by key. Hosts:
# 3 sshd on loopback, each with its own /root (tmpfs), root by key. With
# /root a tmpfs in every guest and host, root's ~/.bashrc of this machine
# (a pyenv init, 1 to 3 s a command) is not run by either contender, as on
# a fresh host (bench/rotate.sh masks it the same way).
# sfcipher: sfciphertest's fake (bench/fakesfcipher). Each round starts
# from guests that were never enrolled (reset untimed); both contenders'
# results are checked alike: every copy identical with every guest's line,
# sfkvm preflight of the whole file (every guest's login with its password
# and sudo -n, every guest row OK), and the two files the same lines but
# for the tokens. Median wall of ROUNDS rounds; the ratio on the last line.
# Goal (SPEC section 7): sfkvm <= 0.3 of the script's wall.
# Needs root, sshd, sudo, iproute2, util-linux (script, nsenter, unshare).
# Not run by test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench/enroll.sh: run as root (network namespaces, sshd)" >&2; exit 77; }
umask 077
ROUNDS=${ROUNDS:-3}
GUESTS=${GUESTS:-50}
PER=25 # addresses per guest sshd

tmp=$(mktemp -d)
bin=/run/sfkvm-bench-enroll-$$ # root's, 0755 from / down: cipher.CheckTool trusts a sfcipher here
ns=sfkvm-benr-$$
hif=sfkeh$$ gif=sfkeg$$
pids=() nss=() ifs=()
cleanup() {
	set +e
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	for i in "${ifs[@]}"; do ip link del "$i" 2>/dev/null; done
	for n in "${nss[@]}"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$tmp" "$bin"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p /run/sshd
mkdir -m 0755 "$bin"

go build -o "$tmp/sfkvm" ./examples/sfkvm
go build -o "$bin/sfcipher" ./bench/fakesfcipher
sfcipher=$bin/sfcipher
sfkvm=$tmp/sfkvm

. bench/netns.sh
sshd_conf() { # sshd_conf DIR PORT EXTRA...
	local d=$1 port=$2
	shift 2
	mkdir -p "$d"
	ssh-keygen -q -t ed25519 -N '' -C '' -f "$d/ssh_host_ed25519_key"
	{
		echo "Port $port"
		echo "HostKey $d/ssh_host_ed25519_key"
		printf '%s\n' "UsePAM yes" "PasswordAuthentication yes" "KbdInteractiveAuthentication no" "PidFile none" \
			"MaxStartups 1000:30:2000" "MaxSessions 100" "StrictModes no" "UseDNS no" "PrintMotd no" "LogLevel ERROR" \
			"PermitRootLogin prohibit-password" "AuthorizedKeysFile $tmp/authorized_keys" "$@"
	} > "$d/sshd_config"
}
ssh-keygen -q -t ed25519 -N '' -f "$tmp/id_ed25519"
cp "$tmp/id_ed25519.pub" "$tmp/authorized_keys"

# The guests: sshd in its own mount namespace (ip netns exec makes one).
cat > "$tmp/cftool" <<'CFTOOL'
#!/bin/sh
# The guest is the address it was reached at; through sudo (which drops
# SSH_CONNECTION) it is read from the nearest ancestor that has it.
c=$SSH_CONNECTION p=$PPID
while [ -z "$c" ] && [ "$p" -gt 1 ]; do
	c=$(tr '\0' '\n' < /proc/$p/environ 2>/dev/null | sed -n 's/^SSH_CONNECTION=//p')
	p=$(awk '{print $4}' /proc/$p/stat)
done
ip=$(echo "$c" | cut -d' ' -f3)
case $1 in
-l) printf 'Node Number State Os Cpu\ncf%s 1 UP Linux EM64T\n' "$(echo "$ip" | tr . _)" ;;
-c) echo benchcluster ;;
*) exit 1 ;;
esac
CFTOOL
chmod 755 "$tmp/cftool"
insts=$(( (GUESTS + PER - 1) / PER ))
guests=() gpids=()
: > "$tmp/known_hosts"
for k in $(seq 0 $((insts - 1))); do
	mkns 10.234 "$k" $PER
	d=$tmp/guest$k
	sshd_conf "$d" 22 "ListenAddress 0.0.0.0"
	# Test accounts may be made meanwhile (scripts/testusers.sh's lock): retry a vanished file.
	for _ in 1 2 3 4 5; do rm -rf "$d/etc"; flock -w 60 /run/sfkvm-testusers.lock cp -a /etc "$d/etc" 2>/dev/null && break; sleep 0.2; done
	[ -f "$d/etc/passwd" ] || { echo "bench/enroll.sh: /etc could not be copied" >&2; exit 1; }
	rm -f "$d"/etc/sudoers.d/sfkvm-*
	setup="mount --bind $d/etc /etc; mount -t tmpfs -o mode=0755 h /home; mount -t tmpfs -o mode=0700 r /root; mount -t tmpfs -o mode=0755 o /opt; mkdir -p /opt/SMAW/bin; cp $tmp/cftool /opt/SMAW/bin/cftool"
	ip netns exec "$ns-$k" sh -c "$setup; exec /usr/sbin/sshd -D -e -f $d/sshd_config" 2>"$d/log" &
	pids+=($!) gpids+=($!)
	for i in $(seq 2 $((PER + 1))); do
		[ ${#guests[@]} -lt "$GUESTS" ] && guests+=("10.234.$k.$i")
	done
done
# The hosts: loopback, each with a /root of its own.
hosts=() hpids=() ports=()
: > "$tmp/ssh_config"
for h in 2 3 4; do
	port=$((24000 + $$ % 10000 + h))
	d=$tmp/host$h
	sshd_conf "$d" "$port" "ListenAddress 127.0.0.1" "Subsystem sftp internal-sftp"
	mkdir -m 0700 "$d/etc"
	unshare -m --propagation slave sh -c "mount -t tmpfs -o mode=0700 r /root; exec /usr/sbin/sshd -D -e -f $d/sshd_config" 2>"$d/log" &
	pids+=($!) hpids+=($!) ports+=("$port")
	printf 'Host cfhost%d\n  HostName 127.0.0.1\n  Port %d\n  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n  GlobalKnownHostsFile /dev/null\n  BatchMode yes\n  StrictHostKeyChecking yes\n' \
		$h "$port" "$tmp/id_ed25519" "$tmp/known_hosts" >> "$tmp/ssh_config"
	echo "[127.0.0.1]:$port $(cat "$d/ssh_host_ed25519_key.pub")" >> "$tmp/known_hosts"
	hosts+=("cfhost$h=$d/etc/kvmguests.conf")
done
for _ in $(seq 100); do
	up=0
	for k in $(seq 0 $((insts - 1))); do (exec 3<>/dev/tcp/10.234.$k.2/22) 2>/dev/null && up=$((up + 1)); done
	for h in 2 3 4; do ssh -F "$tmp/ssh_config" cfhost$h true 2>/dev/null && up=$((up + 1)); done
	[ $up -eq $((insts + 3)) ] && break
	sleep 0.1
done
[ $up -eq $((insts + 3)) ] || { echo "bench/enroll.sh: sshd did not start:"; cat "$tmp"/guest*/log "$tmp"/host*/log; exit 1; }
cp "$tmp/known_hosts" "$tmp/known_hosts.start"
hostlist=$(IFS=,; echo "${hosts[*]}")
hostaddrs=$(for p in "${ports[@]}"; do printf '127.0.0.1:%s,' "$p"; done | sed 's/,$//')
fp=() # each guest sshd's key fingerprint, as its console shows it
for k in $(seq 0 $((insts - 1))); do fp+=("$(ssh-keygen -lf "$tmp/guest$k/ssh_host_ed25519_key.pub" | awk '{print $2}')"); done
pw=Enroll-bench-7
printf '%s\n' "$pw" > "$tmp/pw"

# Untimed, before each contender: no guest enrolled anywhere.
reset() {
	local p
	for p in "${gpids[@]}"; do
		nsenter -t "$p" -m sh -c 'for u in $(awk -F: "\$1 ~ /^pcl/ {print \$1}" /etc/passwd); do userdel -r "$u" 2>/dev/null; done
			rm -f /etc/sudoers.d/sfkvm-pcl* /root/.ssh/known_hosts'
	done
	for p in "${hpids[@]}"; do nsenter -t "$p" -m rm -f /root/.ssh/known_hosts; done
	rm -f "$tmp/kvmguests.conf" "$tmp"/host*/etc/kvmguests.conf
	cp "$tmp/known_hosts.start" "$tmp/known_hosts"
}

# sfkvm: one run for the whole list (--guest-list), each guest its user,
# domain and key fingerprint on its line; the cluster and CF node names
# read from cftool in the guest, as the script reads them.
: > "$tmp/guests"
for ip in "${guests[@]}"; do
	k=$(echo "$ip" | cut -d. -f3)
	printf '%s guest-user=pcl%s domain=guest%s guest-key-fingerprint=%s\n' "$ip" "$(echo "$ip" | tr -d . | tail -c 7)" "$(echo "$ip" | tr . _)" "${fp[$k]}" >> "$tmp/guests"
done
cat > "$tmp/sfkvm-enroll.sh" <<SFKVM
#!/bin/bash
"$sfkvm" enroll -f "$tmp/kvmguests.conf" --guest-list "$tmp/guests" --password-stdin --sfcipher "$sfcipher" \
	--admin-identity "$tmp/id_ed25519" --known-hosts "$tmp/known_hosts" --ssh-config "$tmp/ssh_config" --hosts "$hostlist" \
	--host-cfname cfhost2 --host-addresses "$hostaddrs" --no-preflight < "$tmp/pw" > "$tmp/sfkvm.out" 2>&1 || { cat "$tmp/sfkvm.out" >&2; exit 1; }
SFKVM

cat > "$tmp/script.sh" <<SCRIPT
#!/bin/bash
set -e
umask 077
S="ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=$tmp/known_hosts -o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR -i $tmp/id_ed25519 -l root"
: > "$tmp/script.conf"
for ip in ${guests[*]}; do
	u=pcl\$(echo "\$ip" | tr -d . | tail -c 7)
	cf=\$(\$S "\$ip" /opt/SMAW/bin/cftool -l | awk 'NR == 2 {print \$1}')
	cl=\$(\$S "\$ip" /opt/SMAW/bin/cftool -c)
	\$S "\$ip" "id -u \$u >/dev/null 2>&1 || useradd -m \$u"
	printf '%s:%s\n' "\$u" "$pw" | \$S "\$ip" chpasswd
	printf '%s ALL=(root) NOPASSWD: ALL\n' "\$u" | \$S "\$ip" "cat > /etc/sudoers.d/.new-\$u && visudo -cqf /etc/sudoers.d/.new-\$u && chmod 0440 /etc/sudoers.d/.new-\$u && mv /etc/sudoers.d/.new-\$u /etc/sudoers.d/sfkvm-\$u"
	t=\$(printf '%s\n%s\n' "$pw" "$pw" | script -qec "$sfcipher -c" /dev/null | tr -d '\r' | grep -E '^[0-9A-F]+\$' | tail -n 1)
	printf '%s cfhost2 %s %s %s %s %s\n' "guest\$(echo "\$ip" | tr . _)" "\$cl" "\$cf" "\$ip" "\$u" "\$t" >> "$tmp/script.conf"
	ssh-keyscan -t ed25519 "\$ip" 2>/dev/null > "$tmp/gkey"
	cat "$tmp/gkey" >> "$tmp/known_hosts"
	for h in cfhost2 cfhost3 cfhost4; do ssh -F "$tmp/ssh_config" \$h 'mkdir -p -m 0700 /root/.ssh; cat >> /root/.ssh/known_hosts' < "$tmp/gkey"; done
	for p in ${ports[*]}; do ssh-keyscan -t ed25519 -p \$p 127.0.0.1 2>/dev/null; done | \$S "\$ip" 'mkdir -p -m 0700 /root/.ssh; cat >> /root/.ssh/known_hosts'
done
install -m 0600 "$tmp/script.conf" "$tmp/kvmguests.conf"
for h in ${hosts[*]}; do scp -q -F "$tmp/ssh_config" "$tmp/kvmguests.conf" "\${h%%=*}:\${h#*=}"; done
SCRIPT
chmod 700 "$tmp/sfkvm-enroll.sh" "$tmp/script.sh"

check() { # check LABEL TAG: every copy identical with every guest; preflight of every line, every guest row OK
	local h
	[ "$(grep -c . "$tmp/kvmguests.conf")" -eq "$GUESTS" ] || { echo "$1: $(grep -c . "$tmp/kvmguests.conf") lines, not $GUESTS"; exit 1; }
	for h in "${hosts[@]}"; do cmp -s "$tmp/kvmguests.conf" "${h#*=}" || { echo "$1: ${h%%=*} differs"; exit 1; }; done
	cut -d' ' -f1-6 "$tmp/kvmguests.conf" > "$tmp/lines.$2" # the tokens aside (sfcipher's differ from run to run)
	"$sfkvm" preflight -f "$tmp/kvmguests.conf" --no-perm --password-stdin --known-hosts "$tmp/known_hosts" --hostinfo "$tmp/none" --format json \
		< "$tmp/pw" > "$tmp/preflight.json" 2>/dev/null || true
	python3 - "$tmp/preflight.json" "$1" "$GUESTS" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1]))
rows = [x for x in r["results"] if x["check"].startswith("guest.")]
checked = {x["target"].split()[0] for x in rows if x["check"] == "guest.sudo"}
bad = [x["check"] + " " + x["target"] for x in rows if x["status"] == "FAIL"]
print("%s: preflight of every line: %d guests' sudo checked, %d guest rows, %s" % (sys.argv[2], len(checked), len(rows), "every guest row OK" if not bad else "FAIL " + "; ".join(bad[:5])))
sys.exit(1 if bad or len(checked) != int(sys.argv[3]) else 0)
PY
}
echo "guests: $GUESTS real OpenSSH sshd guests with PAM ($insts sshd, $PER addresses each, each sshd with its own /etc); hosts: 3 sshd, root by key; sfcipher: sfciphertest's fake"
reset; "$tmp/sfkvm-enroll.sh"; check "sfkvm enroll" sfkvm
reset; "$tmp/script.sh"; check "the administrator's script" script
cmp -s "$tmp/lines.sfkvm" "$tmp/lines.script" || { echo "the two files differ beside the tokens:"; diff "$tmp/lines.sfkvm" "$tmp/lines.script" | head; exit 1; }
echo "both files: the same $GUESTS lines, the tokens aside"

echo "== $GUESTS guests, 3 hosts, $ROUNDS rounds (reset untimed): sfkvm enroll vs the administrator's script"
ms() { echo $(( $(date +%s%N) / 1000000 )); }
: > "$tmp/walls"
for r in $(seq "$ROUNDS"); do
	reset; t0=$(ms); "$tmp/sfkvm-enroll.sh"; echo "sfkvm $(( $(ms) - t0 ))" >> "$tmp/walls"
	reset; t0=$(ms); "$tmp/script.sh"; echo "script $(( $(ms) - t0 ))" >> "$tmp/walls"
done
median() { awk -v c="$1" '$1 == c {print $2}' "$tmp/walls" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
a=$(median sfkvm) b=$(median script)
echo "wall (median of $ROUNDS): sfkvm enroll $a ms; the administrator's script $b ms"
awk -v a="$a" -v b="$b" 'BEGIN {printf "ratio sfkvm/script wall: %.2f (goal <= 0.3)\n", a / b}'
