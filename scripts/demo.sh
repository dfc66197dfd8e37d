#!/usr/bin/env bash
# The README's first command. Until "sfkvm demo" exists it checks the bundled
# example configuration, a corrected copy of the manual's example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
exec go run ./examples/sfkvm check --no-perm -f examples/kvmguests.conf "$@"
