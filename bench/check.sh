#!/usr/bin/env bash
# bench/check.sh: "sfkvm check --no-perm" against an awk one-liner that does
# less work (field count and two uniqueness checks, no IP parsing, no token
# rules) on the same 100,000-line valid kvmguests.conf. Interleaved rounds,
# median of 5. Goal (issue 2): sfkvm at most 0.5 of awk's wall time, peak
# memory under 48 MiB. The last line is the ratio.
#
# sfkvm is timed twice: as the README builds it (cgo, linked with libvirt,
# whose binding loads libvirt when the program starts, whatever the command:
# some 12 ms and 13 MiB before the first line is read), and built with
# CGO_ENABLED=0 (every command but migratesetup -s/-d), which shows the
# checker itself. The last line is the README build's ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${LINES_OVERRIDE:-100000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go build -o "$tmp/sfkvm" ./examples/sfkvm
CGO_ENABLED=0 go build -o "$tmp/sfkvm-nocgo" ./examples/sfkvm
go build -o "$tmp/timeit" ./bench/timeit

# Two nodes per guest cluster, on two hosts; every name and address unique.
awk -v n="$lines" 'BEGIN {
	for (i = 0; i < n; i++) {
		c = int(i / 2)
		printf "guest%06d cfhost%d cluster%05d cfguest%06d 10.%d.%d.%d user%d %016X\n", i, i % 2 + 1, c, i, int(i / 65536) % 256, int(i / 256) % 256, i % 256 + 0, i % 100, i * 2654435761 % 4294967296
	}
}' > "$tmp/kvmguests.conf"
"$tmp/sfkvm" check --no-perm -f "$tmp/kvmguests.conf" >/dev/null # must be valid

awk_prog='{if (NF!=7 || seen[$1]++ || ip[$5]++) b++} END{print b+0}'
echo "file: $lines lines, $(wc -c < "$tmp/kvmguests.conf") bytes; awk: $(awk --version 2>/dev/null | head -1 || echo awk)"
echo "-- sfkvm built with CGO_ENABLED=0"
"$tmp/timeit" -n 5 -la sfkvm-nocgo -lb awk \
	-a "'$tmp/sfkvm-nocgo' check --no-perm -f '$tmp/kvmguests.conf' >/dev/null" \
	-b "awk '$awk_prog' '$tmp/kvmguests.conf' >/dev/null"
echo "-- sfkvm as the README builds it (cgo, libvirt linked)"
"$tmp/timeit" -n 5 -la sfkvm -lb awk \
	-a "'$tmp/sfkvm' check --no-perm -f '$tmp/kvmguests.conf' >/dev/null" \
	-b "awk '$awk_prog' '$tmp/kvmguests.conf' >/dev/null"
