#!/usr/bin/env bash
# bench/site.sh (issue 14): `sfkvm site` over 10 hosts with 1,000 guests
# (100 per host), against running `sfkvm preflight` on each host one after
# another over ssh. Goal: the site answers in under 30 s.
# The hosts are 10 OpenSSH sshd, each in a network namespace and a mount
# namespace of its own (its kvmguests.conf, host information file and
# known_hosts bind-mounted at one path), running the real sfkvm (built
# without cgo: no libvirt, so the libvirt checks SKIP). The guests are
# cheap in-process SSH servers (bench/siteguests) in one more namespace, so
# that the figure measures sfkvm, not PAM. All on one bridge; traffic never
# leaves the machine. Every host's preflight logs in to all 1,000 guests
# (10,000 logins per run), as it would on a real site.
# Prints the wall time, the client CPU per guest (rusage of sfkvm site
# alone: the hosts' sfkvm runs under their sshd), the slowest host, and the
# sequential loop's figures; then sfkvm site one host at a time against the
# loop, and each host's preflight alone (the loop's own reports): here the
# hosts share this machine's CPUs, so running them at once cannot beat the
# loop; on a real site the site takes about the longest host, not the sum.
# MODE=shared|apart|both (both): the run above is "shared" (hosts, guests
# and client share the machine's CPUs, every link as fast as loopback).
# "apart" keeps the hosts apart as separate machines would be: each host's
# sshd, and the preflight it runs, in a cgroup of its own capped at
# HOSTCPU percent of one CPU (default: half the machine's CPUs shared
# evenly by the hosts, the other half left to the guests and the client,
# so that the hosts at once still get their caps), and a delay of LATENCY (20ms) on each host's
# link: netem on the host's interface where the kernel has it, else on
# every guest's replies (siteguests -latency), so each round trip between
# a host and a guest takes LATENCY longer. Then the site should take about
# its slowest host, and the loop the sum of them all.
# The last line gives both ratios, site wall / loop wall: "shared" and
# "apart".
# Needs root, sshd, ssh, iproute2, unshare, jq; a writable cgroup cpu
# controller (v2, or v1 at /sys/fs/cgroup/cpu) for the caps of apart.
# Never run by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench/site.sh: run as root (namespaces, sshd)" >&2; exit 77; }
ROUNDS=${ROUNDS:-1}
HOSTS=${HOSTS:-10}
GUESTS=${GUESTS:-1000}
MODE=${MODE:-both}
LATENCY=${LATENCY:-20ms}
HOSTCPU=${HOSTCPU:-$(($(nproc) * 100 / (2 * HOSTS)))}
case $MODE in shared | apart | both) ;; *) echo "bench/site.sh: MODE is shared, apart or both" >&2; exit 2 ;; esac

tmp=$(mktemp -d)
tag=$$
br=sfkbr$tag
pids=() nss=() ifs=() cgs=()
guestpid=
cleanup() {
	set +e
	for p in "${pids[@]}" $guestpid; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	for i in "${ifs[@]}"; do ip link del "$i" 2>/dev/null; done
	for n in "${nss[@]}"; do ip netns del "$n" 2>/dev/null; done
	ip link del "$br" 2>/dev/null
	for c in "${cgs[@]}" $cgtop; do
		for _ in $(seq 50); do rmdir "$c" 2>/dev/null && break; sleep 0.1; done
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p /run/sshd
ulimit -n "$(ulimit -Hn)" # a listener per guest

# The hosts' cgroups (for apart): cgroup v2 where its cpu controller is
# on offer, else v1's cpu hierarchy; none (apart without caps, said so)
# when neither can be written.
cgv= cgtop=
if grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null && mkdir "/sys/fs/cgroup/sfkvm-bench-site-$tag" 2>/dev/null; then
	cgv=2 cgtop=/sys/fs/cgroup/sfkvm-bench-site-$tag
	echo +cpu > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
	echo +cpu > "$cgtop/cgroup.subtree_control"
elif mkdir "/sys/fs/cgroup/cpu/sfkvm-bench-site-$tag" 2>/dev/null; then
	cgv=1 cgtop=/sys/fs/cgroup/cpu/sfkvm-bench-site-$tag
fi
cpucap() { # cpucap FOLDER PERCENT|max: cap the cgroup's CPU
	[ -n "$1" ] || return 0
	if [ "$cgv" = 2 ]; then
		if [ "$2" = max ]; then echo "max 100000" > "$1/cpu.max"; else echo "$(($2 * 1000)) 100000" > "$1/cpu.max"; fi
	else
		echo 100000 > "$1/cpu.cfs_period_us"
		if [ "$2" = max ]; then echo -1 > "$1/cpu.cfs_quota_us"; else echo $(($2 * 1000)) > "$1/cpu.cfs_quota_us"; fi
	fi
}

CGO_ENABLED=0 go build -o "$tmp/sfkvm" ./examples/sfkvm
go build -o "$tmp/timeit" ./bench/timeit
go build -o "$tmp/siteguests" ./bench/siteguests

# One bridge in this namespace (10.234.200.1, where sfkvm site runs); each
# namespace joins it with a veth pair. Hosts are 10.234.100.K; the guests'
# namespace is 10.234.200.2 and holds the guests, 10.235.0.2 and up, 250 a
# /24, which the hosts reach through it as a router: so each host has one
# neighbour entry for all the guests, not a thousand (the kernel's
# neighbour table, shared by every namespace, holds 1,024 by default).
ip link add "$br" type bridge
ifs+=("$br")
ip addr add 10.234.200.1/16 dev "$br"
ip link set "$br" up
join() { # join NAME: a namespace on the bridge
	local n=sfkb$tag-$1 h=sfkv$tag$1
	ip netns add "$n"
	nss+=("$n")
	ip link add "$h" type veth peer name eth0 netns "$n"
	ifs+=("$h")
	ip link set "$h" master "$br" up
	ip netns exec "$n" ip link set lo up
	ip netns exec "$n" ip link set eth0 up
}
join g
ip netns exec "sfkb$tag-g" ip addr add 10.234.200.2/16 dev eth0
for i in $(seq 0 $((GUESTS - 1))); do echo "10.235.$((i / 250)).$((i % 250 + 2))"; done > "$tmp/guest-ips"
sed 's|.*|address add &/32 dev eth0|' "$tmp/guest-ips" | ip netns exec "sfkb$tag-g" ip -batch -
mkdir "$tmp/site"
startguests() { # startguests LATENCY: (re)start the guests, their files to every host
	if [ -n "$guestpid" ]; then kill "$guestpid"; wait "$guestpid" || true; fi
	rm -f "$tmp/site/"*
	ip netns exec "sfkb$tag-g" "$tmp/siteguests" -dir "$tmp/site" -hosts "$HOSTS" -latency "$1" < "$tmp/guest-ips" > "$tmp/guests.out" 2>&1 &
	guestpid=$!
	for _ in $(seq 300); do grep -q ready "$tmp/guests.out" && break; sleep 0.1; done
	grep -q ready "$tmp/guests.out" || { echo "bench/site.sh: the guests did not start:"; cat "$tmp/guests.out"; exit 1; }
	local k f
	for k in $(seq 1 "$HOSTS"); do
		f=$tmp/h$k/files
		cp "$tmp/site/kvmguests.conf" "$tmp/site/known_hosts" "$f/"
		chmod 600 "$f/kvmguests.conf"
		ssh-keygen -q -H -f "$f/known_hosts" > /dev/null 2>&1 # hashed, as Debian's ssh writes it (HashKnownHosts yes)
		rm -f "$f/known_hosts.old"
		printf 'format 1\nhost-cfname cfhost%d\nhost-ip 10.234.100.%d\nweight-link on\n' "$k" "$k" > "$f/hostinfo"
	done
}

ssh-keygen -q -t ed25519 -N '' -C '' -f "$tmp/id"
cp "$tmp/id.pub" "$tmp/authorized_keys"
mkdir "$tmp/host" # each host's own files appear here, in its mount namespace
# Each host's root has an empty ~/.bashrc, as on a fresh host: sshd runs
# every command through root's bash, which reads ~/.bashrc, and this
# machine's root may do much there (a pyenv init: 170 processes and 1 to
# 3 s for every command). The site runs four commands on each host, the
# loop one, so that cost, not sfkvm, set the site's time.
: > "$tmp/empty"
rootrc=$(getent passwd root | cut -d: -f6)/.bashrc
maskrc=
[ ! -f "$rootrc" ] || maskrc="mount --bind '$tmp/empty' '$rootrc' &&"
hostaddrs=() hostcgs=()
for k in $(seq 1 "$HOSTS"); do
	join "h$k"
	a=10.234.100.$k
	hostaddrs+=("$a")
	ip netns exec "sfkb$tag-h$k" ip addr add "$a/16" dev eth0
	ip netns exec "sfkb$tag-h$k" ip route add 10.235.0.0/16 via 10.234.200.2
	d=$tmp/h$k
	mkdir -p "$d/files"
	ssh-keygen -q -t ed25519 -N '' -C '' -f "$d/ssh_host_ed25519_key"
	printf '%s\n' "Port 22" "ListenAddress $a" "HostKey $d/ssh_host_ed25519_key" "AuthorizedKeysFile $tmp/authorized_keys" \
		"PermitRootLogin prohibit-password" "PasswordAuthentication no" "KbdInteractiveAuthentication no" "UsePAM no" \
		"PidFile none" "MaxStartups 100:30:200" "MaxSessions 100" "StrictModes no" "UseDNS no" "PrintMotd no" "LogLevel ERROR" > "$d/sshd_config"
	echo "$a $(cut -d' ' -f1,2 "$d/ssh_host_ed25519_key.pub")" >> "$tmp/hosts_known"
	ip netns exec "sfkb$tag-h$k" unshare -m --propagation private sh -c \
		"mount --bind '$d/files' '$tmp/host' && $maskrc exec /usr/sbin/sshd -D -e -f '$d/sshd_config'" 2> "$d/log" &
	pids+=($!)
	# sshd (the same process through every exec), and what it starts
	# (the host's preflight), in the host's cgroup. From here: ip netns
	# exec mounts a sysfs of its own, without the cgroup folders.
	cg=
	if [ -n "$cgv" ]; then
		cg=$cgtop/h$k
		mkdir "$cg"
		cgs+=("$cg")
		echo $! > "$cg/cgroup.procs"
	fi
	hostcgs+=("$cg")
done
startguests 0
for _ in $(seq 100); do
	up=0
	for a in "${hostaddrs[@]}"; do (exec 3<>/dev/tcp/$a/22) 2>/dev/null && up=$((up + 1)); done
	[ $up -eq "$HOSTS" ] && break
	sleep 0.1
done
[ $up -eq "$HOSTS" ] || { echo "bench/site.sh: sshd did not start:"; cat "$tmp"/h*/log; exit 1; }

pf="-f $tmp/host/kvmguests.conf --hostinfo $tmp/host/hostinfo --known-hosts $tmp/host/known_hosts --key $tmp/site/key --timeout 5m"
pfargs=$(for w in $pf; do printf -- '--preflight-arg=%s ' "$w"; done)
hostlist=$(IFS=,; echo "${hostaddrs[*]}")
site="timeout 600 '$tmp/sfkvm' site --site-hosts $hostlist --identity '$tmp/id' --host-known-hosts '$tmp/hosts_known' --sfkvm '$tmp/sfkvm' \
-f '$tmp/host/kvmguests.conf' --hostinfo '$tmp/host/hostinfo' --known-hosts '$tmp/host/known_hosts' --timeout 5m $pfargs"
sshcmd="ssh -F /dev/null -n -i '$tmp/id' -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile='$tmp/hosts_known' \
-o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=10 -l root"
loop="for h in ${hostaddrs[*]}; do timeout 600 $sshcmd \$h '$tmp/sfkvm' preflight --format=json $pf > '$tmp/loop.'\$h.json; done"

# warmup LABEL: every contender does the whole job once before it is
# timed; the site's JSON shows what the hosts found.
warmup() {
	sh -c "$site --format=json" > "$tmp/site.json" || true
	jq -r '"site: \(.hosts | map(select(.status == "OK")) | length) of \(.hosts | length) hosts reached; \(.counts)"' "$tmp/site.json"
	jq -r '[.results[] | select(.status != "OK")] | group_by(.check + " " + .status)[] | "\(length) x \(.[0].check) \(.[0].status), e.g. \(.[0].host) \(.[0].target): \(.[0].reason)"' "$tmp/site.json"
	reached=$(jq '[.hosts[] | select(.status == "OK")] | length' "$tmp/site.json")
	[ "$reached" -eq "$HOSTS" ] || { echo "bench/site.sh: not every host answered"; jq -r '.hosts[] | "\(.name) \(.reason)"' "$tmp/site.json"; exit 1; }
	logins=$(jq '[.results[] | select(.check == "guest.login" and .status == "OK")] | length' "$tmp/site.json")
	echo "guest logins OK over all hosts: $logins of $((HOSTS * GUESTS))"
	[ "$logins" -eq $((HOSTS * GUESTS)) ] || { echo "bench/site.sh: $1: not every guest login held"; exit 1; }
	sh -c "$loop"
	echo "sequential loop: $(jq -s 'map(.results | length) | add' "$tmp"/loop.*.json) rows from $HOSTS hosts"
}
# alone: each host's preflight alone, from the loop's reports.
alone() {
	for f in "$tmp"/loop.*.json; do
		echo "$(date -d "$(jq -r .finished "$f")" +%s.%N) $(date -d "$(jq -r .started "$f")" +%s.%N)"
	done | awk '{ d = $1 - $2; s += d; if (d > m) m = d } END { printf "longest %.1f s, sum %.1f s", m, s }'
}
ctxt() { awk '$1 == "ctxt" {print $2}' /proc/stat; }
seconds() { awk -v hz="$(getconf CLK_TCK)" -v t="$1" 'BEGIN { printf "%.1f", t / hz }'; } # seconds TICKS: cpustat's clock ticks
cpustat() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8}' /proc/stat; }
ratio_shared=- ratio_apart=-

if [ "$MODE" != apart ]; then
echo "== shared: hosts, guests and client on this machine's $(nproc) CPUs, links as fast as loopback"
warmup shared
echo "== $HOSTS hosts, $GUESTS guests, $ROUNDS rounds: sfkvm site vs sfkvm preflight on each host in turn over ssh"
"$tmp/timeit" -n "$ROUNDS" -la site -lb ssh-loop -a "$site > /dev/null" -b "$loop" | tee "$tmp/t.txt"
ratio_shared=$(awk '$1 == "ratio" {print $4}' "$tmp/t.txt")
# The last run again, for its JSON (the slowest host) and how busy the
# machine's CPUs were meanwhile: hosts, guests and client share them here,
# so the site cannot be faster than its total CPU allows.
read -r b0 t0 < <(cpustat)
x0=$(ctxt)
sh -c "$site --format=json" > "$tmp/site.json" || true
x1=$(ctxt)
read -r b1 t1 < <(cpustat)
busy=$(awk -v b="$((b1 - b0))" -v t="$((t1 - t0))" 'BEGIN { printf "%.0f%%", t ? 100 * b / t : 0 }')
# The same once one host at a time: the CPU and the context switches the
# machine spent for the same work. Ten hosts' preflights, the guests and
# the client at once on two CPUs switch between processes several times
# as often, and each switch is dear on a paravirtualised machine.
read -r c0 _ < <(cpustat)
y0=$(ctxt)
sh -c "${site/ site / site --parallel 1 } > /dev/null" || true
y1=$(ctxt)
read -r c1 _ < <(cpustat)
echo "machine CPU busy during that run: $busy of $(nproc) CPUs; CPU $(seconds $((b1 - b0))) s and $((x1 - x0)) context switches, one host at a time $(seconds $((c1 - c0))) s and $((y1 - y0))"
slow=$(jq -r '.hosts | max_by(.duration_seconds) | "\(.name) \(.duration_seconds | . * 100 | round / 100)s"' "$tmp/site.json")
# The same work one host at a time, by sfkvm site itself: what running
# every host at once costs when the hosts share this machine's CPUs (on a
# real site each host has its own).
"$tmp/timeit" -n "$ROUNDS" -la site-p1 -lb ssh-loop -a "${site/ site / site --parallel 1 } > /dev/null" -b "$loop" | tee "$tmp/t1.txt"
# Each host's preflight alone, from the loop's reports: on hosts with CPUs
# of their own the site takes about the longest of these, not their sum.
alone=$(alone)
awk -v g="$GUESTS" -v slow="$slow" '
	$1 == "site" { w = $3; c = $6 }
	$1 == "ssh-loop" { lw = $3 }
	END { printf "sfkvm site: wall %.1f s (goal under 30 s: %s), client CPU %.2f s (%.2f ms per guest), slowest host %s; preflight on each host in turn over ssh: wall %.1f s\n", w / 1000, (w < 30000) ? "met" : "NOT met", c / 1000, c / g, slow, lw / 1000 }' "$tmp/t.txt"
awk -v alone="$alone" '$1 == "site-p1" { printf "sfkvm site --parallel 1 (one host at a time): wall %.1f s; each host'"'"'s preflight alone: %s\n", $3 / 1000, alone }' "$tmp/t1.txt"
fi

if [ "$MODE" != shared ]; then
# Apart: a delay on each host's link (netem where the kernel has it, else
# on the guests' replies) and each host's CPU capped in its cgroup.
netem=0
for k in $(seq 1 "$HOSTS"); do
	ip netns exec "sfkb$tag-h$k" tc qdisc replace dev eth0 root netem delay "$LATENCY" 2>/dev/null && netem=$((netem + 1))
done
if [ "$netem" -eq "$HOSTS" ]; then
	how="netem delay $LATENCY on each host's interface"
else
	for k in $(seq 1 "$HOSTS"); do ip netns exec "sfkb$tag-h$k" tc qdisc del dev eth0 root 2>/dev/null || true; done
	how="no netem in this kernel: every guest's replies held $LATENCY (siteguests -latency)"
	startguests "$LATENCY"
fi
if [ -n "$cgv" ]; then
	for cg in "${hostcgs[@]}"; do cpucap "$cg" "$HOSTCPU"; done
	how="$how; each host's sshd and preflight capped at $HOSTCPU% of a CPU (cgroup v$cgv)"
else
	how="$how; no writable cgroup cpu controller: the hosts' CPUs are NOT kept apart"
fi
echo "== apart: $how"
warmup apart
echo "== $HOSTS hosts, $GUESTS guests, $ROUNDS rounds, apart: sfkvm site vs sfkvm preflight on each host in turn over ssh"
"$tmp/timeit" -n "$ROUNDS" -la site -lb ssh-loop -a "$site > /dev/null" -b "$loop" | tee "$tmp/ta.txt"
ratio_apart=$(awk '$1 == "ratio" {print $4}' "$tmp/ta.txt")
awk -v alone="$(alone)" '
	$1 == "site" { w = $3 }
	$1 == "ssh-loop" { lw = $3 }
	END { printf "apart: sfkvm site wall %.1f s, the loop %.1f s; each host'"'"'s preflight alone: %s\n", w / 1000, lw / 1000, alone }' "$tmp/ta.txt"
fi
echo "ratio site/loop wall: shared $ratio_shared (goal <= 1.0); apart $ratio_apart (goal <= 0.3)"
