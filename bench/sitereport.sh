#!/usr/bin/env bash
# bench/sitereport.sh (issue 18): the peak memory of `sfkvm site` reading
# one host whose preflight prints a report of SIZE MiB (default 60, under
# site.DefaultMaxReport). The host is bench/reporthost (an in-process SSH
# server on 127.0.0.1, its own process, not measured); each kind of report
# is one run of `sfkvm site`, measured with GNU time's maximum resident set
# size. Unmarshalled whole, 60 MiB of empty rows was killed at 6 GiB.
# Goal: under 256 MiB for every kind. Prints one line a kind, then the
# largest figure on the last line. `GOGC=100 bench/sitereport.sh` measures
# without the memory limit that `sfkvm site` sets itself (a GOGC or
# GOMEMLIMIT of the user's turns it off). Needs /usr/bin/time. Never run
# by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-60}
KINDS=${KINDS:-empty rows text skip valid}
tmp=$(mktemp -d)
pid=
cleanup() {
	set +e
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
CGO_ENABLED=0 go build -o "$tmp/sfkvm" ./examples/sfkvm
go build -o "$tmp/reporthost" ./bench/reporthost
worst=0
for kind in $KINDS; do
	mkdir -p "$tmp/$kind"
	"$tmp/reporthost" -dir "$tmp/$kind" -size "$SIZE" -kind "$kind" >"$tmp/$kind/addr" &
	pid=$!
	for _ in $(seq 50); do [ -s "$tmp/$kind/addr" ] && break; sleep 0.1; done
	addr=$(cat "$tmp/$kind/addr")
	start=$(date +%s.%N)
	set +e
	/usr/bin/time -f '%M %e' -o "$tmp/$kind/time" "$tmp/sfkvm" site --site-hosts "$addr" \
		--identity "$tmp/$kind/id" --host-known-hosts "$tmp/$kind/known_hosts" --format=json >"$tmp/$kind/out" 2>"$tmp/$kind/err"
	code=$?
	set -e
	kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
	read -r kib secs < <(tail -1 "$tmp/$kind/time")
	reason=$(grep -m1 "\"reason\"" "$tmp/$kind/out" | sed "s/^ *\"reason\": *//" | cut -c1-100 || true)
	printf '%-6s %3d MiB report: peak RSS %4d MiB, %5.1f s, exit %d, site.host %s\n' "$kind" "$SIZE" $((kib / 1024)) "$secs" "$code" "$reason"
	[ "$kib" -gt "$worst" ] && worst=$kib
done
echo "sfkvm site peak RSS for a ${SIZE} MiB report: $((worst / 1024)) MiB (goal < 256 MiB)"
