#!/usr/bin/env bash
# The whole test suite: the README's second command, and what CI runs.
# Style first (gofmt, go vet with and without cgo, staticcheck), then every
# test, then the live-migration test (scripts/migration-test.sh: real QEMU
# guests, about a minute) when SFKVM_INTEGRATION=1 is set (CI sets it) or
# QEMU is installed. Set SFKVM_INTEGRATION=1 to turn a missing component
# into a failure; SFKVM_MIGRATION_TEST=0 leaves the live-migration test out
# (not under SFKVM_INTEGRATION=1), as SFKVM_RELEASE_TEST=0 leaves out the
# release's test (scripts/release-test.sh).
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
# an error that says so). Listed in docs/testing.md; keep both lists equal.
pure_packages=(
	./diag ./cipher ./cipher/token ./kvmguests
	./migratesetup ./migratesetup/migratesetuptest ./migratesetup/libvirtstore
	./migratesetup/rpcstore ./migratesetup/storetest
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
# The packages that work on many guests and hosts at once, again under the
# race detector. Not every package: some tests bound time or memory
# tightly (sdtool timeouts, the cost of a huge line), and the detector's
# slowdown would trip them, not a race.
echo "== go test -race (sshcheck, preflight, site, rotate)"
go test -race -count=1 ./sshcheck/... ./preflight/... ./site/... ./rotate/... "$@"
# The static build (CGO_ENABLED=0), the one that is shipped: every command
# speaks to libvirt's daemon through migratesetup/rpcstore; only the
# in-process test driver (test: URIs, libvirtstore) is missing, and the CLI
# says so (exit 69).
echo "== go test (CGO_ENABLED=0: the static build)"
CGO_ENABLED=0 go test -count=1 ./migratesetup/libvirtstore ./examples/... "$@"
# The release (scripts/release-test.sh: two builds compared, the static
# binary in a chroot of the RPM, rpm/rpmlint, the DEB through dpkg; about a
# minute). As root; it skips otherwise (fails under SFKVM_INTEGRATION=1).
if [ "${SFKVM_RELEASE_TEST:-1}" = 0 ] && [ "${SFKVM_INTEGRATION:-}" != 1 ]; then
	echo "== release: left out (SFKVM_RELEASE_TEST=0)"
else
	echo "== release (scripts/release-test.sh)"
	bash scripts/release-test.sh
fi
if [ "${SFKVM_MIGRATION_TEST:-1}" = 0 ] && [ "${SFKVM_INTEGRATION:-}" != 1 ]; then
	echo "== live migration: left out (SFKVM_MIGRATION_TEST=0)"
elif [ "${SFKVM_INTEGRATION:-}" = 1 ] || command -v qemu-system-x86_64 >/dev/null; then
	echo "== live migration (scripts/migration-test.sh)"
	bash scripts/migration-test.sh
else
	echo "== live migration: skipped, QEMU is missing (apt-get install --no-install-recommends qemu-system-x86; SFKVM_INTEGRATION=1 makes this a failure)"
fi
