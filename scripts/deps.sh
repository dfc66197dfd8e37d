#!/usr/bin/env bash
# Installs the Debian packages that sfkvm's tests and demo use, when they are
# missing: OpenSSH's server and sudo (real guests for sshcheck), iproute2
# (network namespaces for the CLI tests), and libvirt (the test driver, and
# the headers that the cgo package libvirtstore builds against), and for
# the live-migration test (scripts/migration-test.sh) QEMU, libvirt's
# daemon with its QEMU driver (run there as per-user session daemons) and
# virsh; the guest's kernel is fetched there with apt-get download, not
# installed.
# Never libvirt-daemon-system: nothing here needs a running libvirtd.
set -euo pipefail
pkgs=(openssh-server openssh-client sudo iproute2 pkg-config libvirt-dev gcc
	qemu-system-x86 libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients)
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
