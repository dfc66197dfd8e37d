#!/usr/bin/env bash
# Installs the Debian packages that sfkvm's tests and demo use, when they are
# missing: OpenSSH's server and sudo (real guests for sshcheck), iproute2
# (network namespaces for the CLI tests), and libvirt (the test driver, and
# the headers that the cgo package libvirtstore builds against); for the
# live-migration test (scripts/migration-test.sh) QEMU, libvirt's daemon
# with its QEMU driver (run there as per-user session daemons) and virsh;
# the guest's kernel is fetched there with apt-get download, not
# installed; systemd (systemd-analyze verify checks dist/systemd offline;
# nothing here needs a running systemd); mandoc (mandoc -T lint checks the
# man pages that sfkvm help --man writes); and promtool, extracted from
# Debian's prometheus package into a cache without installing the server
# (no user, no service).
# Never libvirt-daemon-system: no system daemon is wanted; the tests start
# throwaway session daemons of their own (internal/libvirtdtest, the
# migration test) and stop them.
# scripts/release-test.sh installs the release's own tools (rpm, rpmlint,
# file, binutils, man-db, gnupg) itself.
set -euo pipefail

# promtool: checks and unit-tests dist/prometheus (preflight/metrics).
promtool_cache=/var/cache/sfkvm-test/prometheus
promtool() {
	[ -x "$promtool_cache/usr/bin/promtool" ] && return 0
	if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
		echo "sfkvm: no promtool; as root, scripts/deps.sh extracts it into $promtool_cache" >&2
		return 0
	fi
	echo "sfkvm: extracting promtool from Debian's prometheus package into $promtool_cache" >&2
	mkdir -p "$promtool_cache"
	(
		cd "$promtool_cache"
		rm -f prometheus_*.deb
		# As root: the _apt user, which apt downloads as, cannot write here.
		dl=(apt-get download -qq -o APT::Sandbox::User=root prometheus)
		"${dl[@]}" >/dev/null || { apt-get update -qq && "${dl[@]}" >/dev/null; }
		dpkg-deb --fsys-tarfile prometheus_*.deb | tar -x ./usr/bin/promtool
		rm -f prometheus_*.deb
	)
}
promtool

pkgs=(openssh-server openssh-client sudo iproute2 pkg-config libvirt-dev gcc mandoc
	qemu-system-x86 libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients systemd)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
	echo "sfkvm: missing Debian packages: ${missing[*]}" >&2
	echo "sfkvm: as root: apt-get install --no-install-recommends ${missing[*]}" >&2
	echo "sfkvm: tests that need them will skip (or fail under SFKVM_INTEGRATION=1)" >&2
	exit 0
fi
echo "sfkvm: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
