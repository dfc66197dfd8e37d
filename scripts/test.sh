#!/usr/bin/env bash
# The whole test suite: the README's second command, and what CI runs.
# Style first (gofmt, go vet with and without cgo, staticcheck), then every
# test, then the live-migration test (scripts/migration-test.sh: real QEMU
# guests, about a minute) when SFKVM_INTEGRATION=1 is set (CI sets it) or
# QEMU is installed. Set SFKVM_INTEGRATION=1 to turn a missing component
# into a failure; SFKVM_MIGRATION_TEST=0 leaves the live-migration test out
# (not under SFKVM_INTEGRATION=1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
echo "== go vet (CGO_ENABLED=0)"
CGO_ENABLED=0 go vet ./...
echo "== go vet (cgo)"
go vet ./...
echo "== staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
echo "== go test"
go test -count=1 ./... "$@"
if [ "${SFKVM_MIGRATION_TEST:-1}" = 0 ] && [ "${SFKVM_INTEGRATION:-}" != 1 ]; then
	echo "== live migration: left out (SFKVM_MIGRATION_TEST=0)"
elif [ "${SFKVM_INTEGRATION:-}" = 1 ] || command -v qemu-system-x86_64 >/dev/null; then
	echo "== live migration (scripts/migration-test.sh)"
	bash scripts/migration-test.sh
else
	echo "== live migration: skipped, QEMU is missing (apt-get install --no-install-recommends qemu-system-x86; SFKVM_INTEGRATION=1 makes this a failure)"
fi
