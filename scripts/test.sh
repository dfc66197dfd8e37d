#!/usr/bin/env bash
# The whole test suite: the README's second command, and what CI runs.
# Style first (gofmt, go vet with and without cgo, staticcheck), then every
# test. Set SFKVM_INTEGRATION=1 to turn a missing component into a failure.
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
