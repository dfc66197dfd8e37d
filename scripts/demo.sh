#!/usr/bin/env bash
# The README's first command: sfkvm demo, the whole procedure against a
# built-in lab (in-process SSH guests at 192.0.2.x routed to loopback,
# libvirt's test driver, a simulated shutdown facility). It takes seconds
# and leaves nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
# A first run compiles the CLI and libvirt's binding: say so, rather than
# leave the terminal silent for half a minute.
echo "sfkvm: compiling the CLI (about 30 s on a first run, a second after that)..." >&2
exec go run ./examples/sfkvm demo "$@"
