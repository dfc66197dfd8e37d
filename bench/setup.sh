#!/usr/bin/env bash
# bench/setup.sh: setting up 1,000 shut-off domains in one process on
# libvirt's test:///default (migratesetup.SetupGuests with its defaults),
# against the bare loop of reading each inactive definition with secrets
# and defining it again unchanged with validation; also SetupGuests one
# guest at a time (Parallel 1), which shows sfkvm's own cost without the
# gain of working on four guests at once. All are Go benchmarks
# in migratesetup/libvirtstore; this script runs them in interleaved rounds
# (ROUNDS, default 3) and prints the median of each, then the ratio on its
# last line. Goal (issue 6): sfkvm at most 1.5 times the bare loop.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/libvirtstore.test" ./migratesetup/libvirtstore
for i in $(seq "$rounds"); do
	for b in Setup1000 Setup1000Serial BareLoop1000; do
		"$tmp/libvirtstore.test" -test.run '^$' -test.bench "^Benchmark$b\$" -test.benchtime 1x |
			awk -v b="$b" '$1 ~ /^Benchmark/ {print b, $3}' >> "$tmp/times"
	done
done
awk '
	{ t[$1] = t[$1] " " $2 }
	function median(s,   a, n, i, j, x) {
		n = split(s, a, " ")
		for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
		return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	END {
		s = median(t["Setup1000"]); l = median(t["BareLoop1000"]); one = median(t["Setup1000Serial"])
		printf "sfkvm SetupGuests:               %.0f ms (rounds:%s ns)\n", s / 1e6, t["Setup1000"]
		printf "sfkvm SetupGuests, Parallel 1: %.0f ms (rounds:%s ns), ratio %.2f\n", one / 1e6, t["Setup1000Serial"], one / l
		printf "bare loop:                       %.0f ms (rounds:%s ns)\n", l / 1e6, t["BareLoop1000"]
		printf "ratio sfkvm/bare loop, 1000 domains, median of %d: %.2f (goal <= 1.5)\n", split(t["Setup1000"], x, " "), s / l
	}' "$tmp/times"
