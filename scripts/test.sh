#!/usr/bin/env bash
# The whole test suite: the README's second command, and what CI runs.
# gofmt and go.mod first, then every test, with go vet (with and without
# cgo), staticcheck, the race detector's and the static build's tests in
# lanes beside them (in_lane, below), then the live-migration test
# (scripts/migration-test.sh: real QEMU guests, about a minute) when
# SFKVM_INTEGRATION=1 is set (CI sets it) or QEMU is installed, with the
# release's test in a lane beside it. Set SFKVM_INTEGRATION=1 to turn a
# missing component into a failure; SFKVM_MIGRATION_TEST=0 leaves the
# live-migration test out (not under SFKVM_INTEGRATION=1), as
# SFKVM_RELEASE_TEST=0 leaves out the release's test
# (scripts/release-test.sh).
#
# Every step runs, whatever the steps before it did, each under a time
# limit of its own (go test steps also with go test's -timeout, below the
# step's limit, so that a hung test panics with its goroutines shown
# before the step is killed); the last line is one summary naming every
# step, passed, failed or skipped, with its time. The exit status is 0 only
# when no step failed. Extra arguments go to every go test step.
set -uo pipefail
cd "$(dirname "$0")/.."

# The tests whose outcome can differ between the cgo and the static build,
# run again with CGO_ENABLED=0 (the rest is the same code either way).
# TestStaticBuildTestsAreListed (statictests_test.go) keeps this honest.
static_tests='^(ExampleOpen|TestDemo|TestDemoKeep|TestDemoStderrIsClean|TestEnrollFindsTheDomainByUUID|TestEnrollFindsTheDomainOnAnotherHost|TestEnrollRestart|TestMigrateCommandReachesTheOtherHost|TestMigratesetupNoDaemon|TestMigratesetupStoreExitCode|TestMigratesetupTestDriverWithoutCgo|TestMigratesetupThroughTheDaemon|TestNoDaemon|TestOpenWithoutCgo|TestParseFlagsInterleaved|TestPreflightCheckFixWorksWhenRun|TestPreflightCommand|TestPreflightNagiosWarning|TestPreflightTextfileInterrupted|TestWithLibvirtDaemon)$'

summary=() failed=0 passed=0 skipped=0
suite_start=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1fs", b - a}'; }

# step NAME LIMIT COMMAND...: runs COMMAND, killed (its whole process
# group) after LIMIT (a timeout(1) duration), and records the outcome.
step() {
	local name=$1 limit=$2 rc=0 t0
	shift 2
	echo "== $name (limit $limit): $*"
	t0=$(date +%s.%N)
	if declare -F "$1" >/dev/null; then
		# A function of this script: timeout(1) runs programs.
		timeout --kill-after=30s "$limit" bash -c "$(declare -f "$1"); \"\$@\"" bash "$@" || rc=$?
	else
		timeout --kill-after=30s "$limit" "$@" || rc=$?
	fi
	local took
	took=$(elapsed "$t0")
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		summary+=("ok $name $took")
		echo "== $name: ok ($took)"
	else
		failed=$((failed + 1))
		local why="exit $rc"
		[ $rc -eq 124 ] || [ $rc -eq 137 ] && why="killed after the step's limit of $limit"
		summary+=("FAIL $name $took ($why)")
		echo "== $name: FAILED ($why, $took)"
	fi
}

# skip NAME WHY: records a step that did not run, and why.
skip() {
	skipped=$((skipped + 1))
	summary+=("skip $1 ($2)")
	echo "== $1: skipped ($2)"
}

gofmt_check() {
	local unformatted
	unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
	if [ -n "$unformatted" ]; then
		echo "gofmt would change:"
		echo "$unformatted"
		return 1
	fi
}

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

# Lanes: most of the CLI tests' time is spent waiting for real logins
# (sshd, PAM, sudo) and daemons, not computing, so the checks that do not
# depend on the tests run in a lane beside them. A lane is a function of
# steps run in the background; its output is kept in a file and printed
# whole, after the steps in the foreground, and its steps join the summary.
lane_dir=$(mktemp -d "${TMPDIR:-/tmp}/sfkvm-test-lanes.XXXXXX")
# Interrupted, a lane goes too: its running step's timeout(1) passes the
# signal on to the step's command.
stop_lanes() {
	local p
	for p in $(jobs -p); do
		pkill -TERM -P "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	rm -rf "$lane_dir"
}
trap stop_lanes EXIT
lanes=()
# in_lane NAME FUNCTION [ARGS...]: starts FUNCTION's steps in the background.
in_lane() {
	local name=$1
	shift
	(
		summary=() failed=0 passed=0 skipped=0
		"$@" >"$lane_dir/$name.log" 2>&1
		printf '%s\n' "$passed" "$failed" "$skipped" "${summary[@]}" >"$lane_dir/$name.result"
	) &
	lanes+=("$name:$!")
}
# join_lanes: waits for every lane, prints its output and counts its steps.
# A lane that left no result (killed) is one failed step.
join_lanes() {
	local l name r
	for l in "${lanes[@]}"; do
		name=${l%%:*}
		wait "${l#*:}"
		echo "== lane $name (ran beside the steps above):"
		cat "$lane_dir/$name.log"
		if [ ! -s "$lane_dir/$name.result" ]; then
			failed=$((failed + 1))
			summary+=("FAIL lane-$name (it left no result)")
			continue
		fi
		mapfile -t r <"$lane_dir/$name.result"
		passed=$((passed + r[0])) failed=$((failed + r[1])) skipped=$((skipped + r[2]))
		summary+=("${r[@]:3}")
	done
	lanes=()
}

# The checks beside the tests: vet, the other systems' builds and
# staticcheck (the race detector's and the static build's tests run in a
# lane of their own, tests_lane).
checks_lane() {
	step vet-static 10m env CGO_ENABLED=0 go vet ./...
	step vet-cgo 10m go vet ./...
	for goos in darwin windows; do
		step "build-$goos" 10m env GOOS=$goos GOARCH=amd64 CGO_ENABLED=0 go build "${pure_packages[@]}"
	done
	step staticcheck 15m go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
}

# The release (scripts/release-test.sh: two builds compared, the static
# binary in a chroot of the RPM, rpm/rpmlint, the DEB through dpkg;
# about a minute alone). As root; it skips otherwise (fails under
# SFKVM_INTEGRATION=1). It runs beside the live-migration test, after
# the tests: that test waits for its guests more than it computes (the
# machine's two CPUs 60 % idle while it ran alone, 2026-12-08), where
# beside the tests the release's 51 s of CPU time lengthened a part of
# the suite that had no CPU to spare.
release_lane() {
	if [ "${SFKVM_RELEASE_TEST:-1}" = 0 ] && [ "${SFKVM_INTEGRATION:-}" != 1 ]; then
		skip release "SFKVM_RELEASE_TEST=0"
	else
		step release 10m bash scripts/release-test.sh
	fi
}

# The packages that work on many guests and hosts at once, under the race
# detector (and only there: the test step leaves them out, below). Not
# every package: some tests bound time or memory tightly (sdtool timeouts,
# the cost of a huge line), and the detector's slowdown would trip them,
# not a race. A lane of its own, with the static build's tests: after the
# checks they made that lane the longest part of the suite (2026-12-07,
# the machine shared: the lane 412 s, test-race 189 s of it; the test step
# 433 s), and with test-race alone beside it the release and test-static
# did (311 s, the test step 297 s).
tests_lane() {
	step test-race 20m go test -race -vet=off -ldflags=-w -count=1 -timeout 8m "${race_packages[@]}" "$@"
	# The static build (CGO_ENABLED=0), the one that is shipped: every
	# command speaks to libvirt's daemon through migratesetup/rpcstore;
	# only the in-process test driver (test: URIs, libvirtstore) is
	# missing, and the CLI says so (exit 69). Only the tests whose outcome
	# depends on the build.
	step test-static 10m env CGO_ENABLED=0 go test -vet=off -ldflags=-w -count=1 -timeout 5m -run "$static_tests" ./migratesetup/libvirtstore ./examples/... "$@"
}

# The packages that test-race tests (in tests_lane) under the race
# detector. Every test of theirs runs there (none is kept out of -race by a
# build tag or testing.Short), so the test step leaves them out: their run
# without -race cost 59 s of CPU (user 32 s, system 26 s; 2026-12-07) for
# nothing that the race run does not check.
race_packages=(./sshcheck/... ./preflight/... ./site/... ./rotate/...)
# test_packages: every package of the module but race_packages, one a line;
# ./... alone when go list fails (go test then says why), so that a failure
# here never tests fewer packages.
test_packages() {
	local all race
	if all=$(go list ./...) && race=$(go list "${race_packages[@]}") &&
		grep -vxF "$race" <<<"$all"; then
		return
	fi
	echo ./...
}

step deps 15m bash scripts/deps.sh
step gofmt 2m gofmt_check
# go.mod says what the code imports: a module imported directly is not
# marked indirect (go mod tidy -diff prints the difference and fails).
step mod-tidy 5m go mod tidy -diff
in_lane checks checks_lane "$@"
in_lane tests tests_lane "$@"
# -vet=off in every go test step: go vet runs once, in its own steps
# (vet-static, vet-cgo: every analyzer, test files included), and go
# test's own vet (a subset of it) would run it again for every package
# that changed, once per go test step. -ldflags=-w in every go test step:
# the test binaries are linked without DWARF (a failing test's stack
# trace needs none, a debugger would): go test links every binary again
# on each run, and the linker took 8 % of the suite's CPU time, a third
# of it writing DWARF (examples/sfkvm's binary: 3.8 s of CPU, 2.7 s
# without; 2026-12-08).
# go test's -timeout is per test binary (package); the step's limit is
# above it, for the packages that wait for a free CPU. The longest binary,
# examples/sfkvm, took 308 s in .ci/run on an idle machine (the lane
# beside it) and 441 s with the whole suite at a load average of 10 to 20
# (2026-12-07): 12m is a hang's bound, not its time.
# (race_packages are left out: test-race runs them in tests_lane.) -p 4:
# four test binaries at once, not go test's default of one per CPU (2
# here). The binaries after examples/sfkvm's mostly wait, for libvirt's
# daemons and QEMU guests (migratesetup/rpcstore 145 s, libvirtstore
# 132 s), and with two at once they queued behind one another for
# longer than examples/sfkvm ran (2026-12-07: the step 433 s, its
# binaries' times 654 s in all, examples/sfkvm 271 s of it).
mapfile -t packages < <(test_packages)
step test 20m go test -p 4 -vet=off -ldflags=-w -count=1 -timeout 12m "${packages[@]}" "$@"
join_lanes
in_lane release release_lane
if [ "${SFKVM_MIGRATION_TEST:-1}" = 0 ] && [ "${SFKVM_INTEGRATION:-}" != 1 ]; then
	skip migration "SFKVM_MIGRATION_TEST=0"
elif [ "${SFKVM_INTEGRATION:-}" = 1 ] || command -v qemu-system-x86_64 >/dev/null; then
	step migration 10m bash scripts/migration-test.sh
else
	skip migration "QEMU is missing: apt-get install --no-install-recommends qemu-system-x86; SFKVM_INTEGRATION=1 makes this a failure"
fi
join_lanes

result=passed
[ $failed -eq 0 ] || result=FAILED
line=$(printf '%s; ' "${summary[@]}")
echo "test.sh: $result in $(elapsed "$suite_start"): $passed passed, $failed failed, $skipped skipped: ${line%; }"
[ $failed -eq 0 ]
