#!/usr/bin/env bash
# bench/cipher.sh: the cost of sfkvm's two ways to make a guest_passwd token.
# 1. Seal and Open of the sealed format (Go benchmarks, ns per call).
# 2. What driving sfcipher on a pseudo-terminal (cipher.Sfcipher: waiting for
#    each prompt and for echo off, typing, parsing) adds over the tool's own
#    run: the fake sfcipher run alone on a terminal with its answers typed
#    ahead, and the same run through Encrypt, interleaved in pairs so that
#    both see the same machine; medians over N pairs. The last line is the
#    added time.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N_OVERRIDE:-300}
go test -run '^$' -bench '^Benchmark(Seal|Open)$' -count 1 ./cipher/ | grep ns/op
out=$(go test -run '^$' -bench '^BenchmarkSfcipherOverhead$' -benchtime "${n}x" -count 1 ./cipher/ | grep Overhead)
echo "$out"
echo "$out" | awk -v n="$n" '{
	for (i = 1; i < NF; i++) v[$(i+1)] = $i
	printf "sfcipher on a pty: fake alone %.2f ms, through Encrypt %.2f ms; driving adds %.2f ms (median of %d pairs)\n", v["ms-fake-alone"], v["ms-via-Encrypt"], v["ms-added"], n
}'
