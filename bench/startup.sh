#!/usr/bin/env bash
# bench/startup.sh: what starting sfkvm costs, the release binary against
# the cgo build. The release binary is built as scripts/release.sh builds
# it (CGO_ENABLED=0, -trimpath, -buildvcs=false, -s -w, no build id); the
# cgo build as the README's tests build it (go build ./examples/sfkvm:
# linked with libvirt, whose binding loads libvirt when the program starts,
# whatever the command). Two commands: "sfkvm check -f" on the manual's
# example (examples/kvmguests.conf, copied 0600 so that the whole check
# runs and it ends with the success line) and "sfkvm help". Interleaved
# rounds (bench/timeit: each run through sh -c 'exec ...', so the wall
# includes one sh start on both sides), median of N (default 21):
#
#   bash bench/startup.sh [N]
#
# Goal (issue 19): the release binary at most 0.3 of the cgo build's wall
# time and at most 12 MiB peak RSS. The last line has both ratios and both
# peaks. First it times the floor: a static Go hello world (and /bin/true),
# what any Go binary costs to start on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-21}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags '-buildid= -s -w' -o "$tmp/sfkvm-static" ./examples/sfkvm
go build -o "$tmp/sfkvm-cgo" ./examples/sfkvm
go build -o "$tmp/timeit" ./bench/timeit
install -m 0600 examples/kvmguests.conf "$tmp/kvmguests.conf"
for b in static cgo; do
	"$tmp/sfkvm-$b" check -f "$tmp/kvmguests.conf" >"$tmp/out" 2>&1 ||
		{ cat "$tmp/out" >&2; echo "startup: sfkvm-$b check failed" >&2; exit 1; }
done
echo "static: $(file -b "$tmp/sfkvm-static" | cut -d, -f1-2,5), $(du -h "$tmp/sfkvm-static" | cut -f1)"
echo "cgo:    $(file -b "$tmp/sfkvm-cgo" | cut -d, -f1-2,5), $(du -h "$tmp/sfkvm-cgo" | cut -f1)"

# The floor on this machine: a static Go program that prints one line
# (what starting any Go binary costs here, before sfkvm's own packages).
mkdir "$tmp/hello"
printf 'package main\n\nimport "os"\n\nfunc main() { os.Stdout.WriteString("hello\\n") }\n' >"$tmp/hello/main.go"
printf 'module hello\n\ngo 1.26\n' >"$tmp/hello/go.mod"
(cd "$tmp/hello" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$tmp/hello-static" .)
echo "-- the floor: a static Go hello world against /bin/true"
"$tmp/timeit" -n "$n" -la hello -lb true -a "exec '$tmp/hello-static' >/dev/null" -b "exec /bin/true"

declare -A wall rss
for what in check help; do
	case $what in
	check) args="check -f '$tmp/kvmguests.conf'" ;;
	help) args="help" ;;
	esac
	echo "-- sfkvm $what"
	"$tmp/timeit" -n "$n" -la static -lb cgo \
		-a "exec '$tmp/sfkvm-static' $args >/dev/null" \
		-b "exec '$tmp/sfkvm-cgo' $args >/dev/null" | tee "$tmp/$what.txt"
	wall[$what]=$(awk '/^ratio/ {print $4}' "$tmp/$what.txt")
	rss[$what]=$(awk '$1 == "static" {print $10}' "$tmp/$what.txt")
done
echo "startup static/cgo: wall check ${wall[check]} help ${wall[help]} (goal <= 0.3); static peak RSS check ${rss[check]} MiB help ${rss[help]} MiB (goal <= 12)"
