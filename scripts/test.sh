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
# The pure packages: no cgo, no Linux-only calls in their API, so an
# in-house tool on any system can import them (on a system without Unix
# calls the guarded file opens, known_hosts and the sfcipher driver return
# an error that says so). Listed in the README; keep both lists equal.
pure_packages=(
	./diag ./cipher ./cipher/token ./kvmguests
	./migratesetup ./migratesetup/migratesetuptest ./migratesetup/libvirtstore
	./sdfacility ./sdfacility/sdtest ./sshcheck ./sshcheck/sshtest ./internal/safefile
	./internal/namerule ./internal/iprule
)
for goos in darwin windows; do
	echo "== cross-build for $goos (CGO_ENABLED=0): the pure packages"
	GOOS=$goos GOARCH=amd64 CGO_ENABLED=0 go build "${pure_packages[@]}"
done
echo "== staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
echo "== go test"
go test -count=1 ./... "$@"
# The build without libvirt: libvirtstore.Open says so, and the CLI exits
# 69 naming how to build with it.
echo "== go test (CGO_ENABLED=0: the build without libvirt)"
CGO_ENABLED=0 go test -count=1 ./migratesetup/libvirtstore ./examples/... "$@"
