#!/usr/bin/env bash
# The release, proven on this Debian machine (issue 19):
#
#   1. scripts/release.sh builds the same commit twice: the same SHA256SUMS
#      (its tools built once, SFKVM_RELEASE_TOOLS: a folder that others can
#      write refused, a program there not at the tool's version replaced).
#   2. The binaries (amd64, arm64) have no dynamic section and no
#      interpreter (file, readelf): nothing of glibc or libvirt is needed.
#   3. The man pages pass mandoc -T lint -W style.
#   4. The RPMs: rpm -qpl lists exactly the files we mean, rpm -qpR requires
#      nothing but rpm's own features (nothing a minimal RHEL 8 lacks), the
#      /etc/default files are %config(noreplace), rpm -K checks the digests,
#      rpmlint has nothing to say beyond dist/package/rpmlint.toml's list.
#   5. Signing: a build signed with a throwaway RSA key verifies with
#      rpm -K (RSA/SHA256) after rpm --import into a throwaway rpmdb, and
#      fails before; the DEB's _gpgorigin signature verifies with gpg.
#   6. The x86_64 RPM installed with rpm --root into an empty folder: inside
#      a chroot of that folder (plus /dev/null, /proc and a /tmp for inputs)
#      sfkvm --version, sfkvm check (exit 0 on examples/kvmguests.conf; exit
#      65 and the double-space error on the manual's example verbatim) and
#      sfkvm demo run. rpm --root -e removes every file but an edited config
#      file, kept as .rpmsave.
#   7. The amd64 DEB installed with dpkg -i on this machine: the installed
#      units pass systemd-analyze verify, none is enabled, man sfkvm and man
#      sfkvm-check render; dpkg -r leaves the config files alone, dpkg -P
#      removes them too.
#
# Run as root (chroot, mount, dpkg -i). It installs what it needs from
# Debian (rpm rpmlint mandoc file binutils man-db gnupg systemd), as
# scripts/deps.sh does. Without root or a tool it skips, except under
# SFKVM_INTEGRATION=1, where that is a failure. It leaves nothing behind:
# the mount, the package, gpg's agent and the files go, also on failure.
# About two minutes on an idle 2-core machine (two release builds).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "release-test: $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }
skip() {
	if [ "${SFKVM_INTEGRATION:-}" = 1 ]; then
		fail "SFKVM_INTEGRATION=1 but $*"
	fi
	say "skipped: $* (SFKVM_INTEGRATION=1 makes this a failure)"
	exit 0
}
start=$(date +%s)

[ "$(id -u)" -eq 0 ] || skip "not root (the test uses chroot, mount and dpkg -i)"

pkgs=(rpm rpmlint mandoc file binutils man-db gnupg systemd)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ] && command -v apt-get >/dev/null; then
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for tool in rpm rpmlint rpmkeys mandoc file readelf man gpg gpgconf systemd-analyze dpkg mount mknod chroot go git; do
	command -v "$tool" >/dev/null || skip "$tool is missing (apt-get install --no-install-recommends ${pkgs[*]})"
done

version=0.0.1
work=$(mktemp -d /tmp/sfkvm-release-test.XXXXXX)
root=$work/root
deb_installed=
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if mountpoint -q "$root/proc" 2>/dev/null; then
		umount "$root/proc" || umount -l "$root/proc"
	fi
	if [ -n "$deb_installed" ]; then
		dpkg -P sfkvm >/dev/null 2>&1 || say "could not purge sfkvm: dpkg -P sfkvm"
	fi
	[ -d "$work/gnupg" ] && GNUPGHOME=$work/gnupg gpgconf --kill all 2>/dev/null
	rm -rf "$work"
	[ $rc -eq 0 ] && say "PASS in $(($(date +%s) - start)) s"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# expect_eq NAME WANT GOT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: want
$2
got
$3"
}

say "1. two release builds of one commit"
# One set of tools for this test's three builds (SFKVM_RELEASE_TOOLS). A
# folder that others can write is refused before anything is built; a
# program there that is not the tool at its version is built again, not
# run (the planted nfpm below would fail the first build).
mkdir -m 0777 "$work/open-tools"
if SFKVM_RELEASE_DIRTY=1 SFKVM_RELEASE_TOOLS=$work/open-tools SFKVM_RELEASE_OUT=$work/refused bash scripts/release.sh "$version" >"$work/refused.log" 2>&1 ||
	! grep -q "SFKVM_RELEASE_TOOLS=$work/open-tools: want a folder of yours" "$work/refused.log"; then
	cat "$work/refused.log" >&2
	fail "a tools folder that others can write was not refused"
fi
mkdir -m 0700 "$work/tools"
printf '#!/bin/sh\necho planted >&2\nexit 1\n' >"$work/tools/nfpm"
chmod 0755 "$work/tools/nfpm"
export SFKVM_RELEASE_TOOLS=$work/tools
SFKVM_RELEASE_DIRTY=1 SFKVM_RELEASE_OUT=$work/a bash scripts/release.sh "$version" >"$work/build-a.log" 2>&1 ||
	{ cat "$work/build-a.log" >&2; fail "scripts/release.sh $version"; }
SFKVM_RELEASE_DIRTY=1 SFKVM_RELEASE_OUT=$work/b bash scripts/release.sh "$version" >"$work/build-b.log" 2>&1 ||
	{ cat "$work/build-b.log" >&2; fail "scripts/release.sh $version (second run)"; }
out=$work/a
diff "$work/a/SHA256SUMS" "$work/b/SHA256SUMS" >&2 || fail "two builds of one commit differ (SHA256SUMS above)"
(cd "$out" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match the files"
expect_eq "the release folder" "SHA256SUMS
sfkvm-$version-1.aarch64.rpm
sfkvm-$version-1.x86_64.rpm
sfkvm_$version-1_amd64.deb
sfkvm_$version-1_arm64.deb
sfkvm_${version}_linux_amd64
sfkvm_${version}_linux_amd64.cdx.json
sfkvm_${version}_linux_amd64.tar.gz
sfkvm_${version}_linux_arm64
sfkvm_${version}_linux_arm64.cdx.json
sfkvm_${version}_linux_arm64.tar.gz" "$(cd "$out" && LC_ALL=C ls)"
rpm_x86=$out/sfkvm-$version-1.x86_64.rpm
rpm_arm=$out/sfkvm-$version-1.aarch64.rpm
deb=$out/sfkvm_$version-1_amd64.deb

say "2. static binaries"
for arch in amd64 arm64; do
	bin=$out/sfkvm_${version}_linux_$arch
	f=$(file -b "$bin")
	case $f in
	*"statically linked"*) ;;
	*) fail "file $bin: $f" ;;
	esac
	d=$(readelf -d "$bin")
	expect_eq "readelf -d sfkvm ($arch)" "There is no dynamic section in this file." "$(echo "$d" | sed '/^$/d')"
	ph=$(readelf -lW "$bin")
	if grep -q INTERP <<<"$ph"; then fail "$bin has a program interpreter"; fi
	say "   $arch: $f"
done
sbom=$out/sfkvm_${version}_linux_amd64.cdx.json
grep -q '"bomFormat": "CycloneDX"' "$sbom" && grep -q '"value": "0"' "$sbom" ||
	fail "$sbom: not a CycloneDX SBOM of the CGO_ENABLED=0 build"

say "3. man pages: mandoc -T lint -W style"
mkdir "$work/tar"
tar -C "$work/tar" -xzf "$out/sfkvm_${version}_linux_amd64.tar.gz"
mandoc -T lint -W style "$work/tar/sfkvm_${version}_linux_amd64"/man8/*.8 || fail "mandoc -T lint"

say "4. the RPMs: contents, requirements, config files, digests, rpmlint"
want_files="/etc/default/sfkvm-drill
/etc/default/sfkvm-preflight
/etc/default/sfkvm-site
/usr/lib/systemd/system/sfkvm-drill.service
/usr/lib/systemd/system/sfkvm-drill.timer
/usr/lib/systemd/system/sfkvm-preflight.service
/usr/lib/systemd/system/sfkvm-preflight.timer
/usr/lib/systemd/system/sfkvm-site.service
/usr/lib/systemd/system/sfkvm-site.timer
/usr/sbin/sfkvm
/usr/share/doc/sfkvm
/usr/share/doc/sfkvm/README"
# A page for sfkvm and one per command, as the release binary lists its
# commands (a command added needs no edit here).
commands=$("$out/sfkvm_${version}_linux_amd64" help | awk '/^commands:/ {f = 1; next} /^$/ {f = 0} f {print $1}')
[ "$(echo "$commands" | wc -l)" -ge 10 ] || fail "sfkvm help lists only: $commands"
for page in sfkvm $(printf 'sfkvm-%s\n' $commands); do
	want_files+=$'\n'/usr/share/man/man8/$page.8.gz
done
want_files+="
/usr/share/sfkvm
/usr/share/sfkvm/prometheus
/usr/share/sfkvm/prometheus/sfkvm-preflight.rules.yml
/usr/share/sfkvm/prometheus/sfkvm-site.rules.yml"
[ -f LICENSE ] && want_files+=$'\n'/usr/share/licenses/sfkvm/LICENSE
want_files=$(echo "$want_files" | LC_ALL=C sort)
for r in "$rpm_x86" "$rpm_arm"; do
	expect_eq "rpm -qpl $(basename "$r")" "$want_files" "$(rpm -qpl "$r" | LC_ALL=C sort)"
	# Only rpm's own features (rpmlib(...)), which rpm 4.14 of RHEL 8
	# has: no library, no shell, no package.
	reqs=$(rpm -qpR "$r")
	if echo "$reqs" | grep -v '^rpmlib(\(CompressedFileNames\|FileDigests\|PayloadFilesHavePrefix\|PayloadIsXz\|PayloadIsZstd\)) <= '; then
		fail "rpm -qpR $(basename "$r") requires more than rpm's own features (above)"
	fi
	expect_eq "%config(noreplace) in $(basename "$r")" "/etc/default/sfkvm-drill cn
/etc/default/sfkvm-preflight cn
/etc/default/sfkvm-site cn" "$(rpm -qp --qf '[%{FILENAMES} %{FILEFLAGS:fflags}\n]' "$r" | grep '^/etc/')"
	expect_eq "rpm -K $(basename "$r")" "$r: digests OK" "$(rpm -K "$r")"
done
expect_eq "architecture" "x86_64 aarch64" "$(rpm -qp --qf '%{ARCH}' "$rpm_x86") $(rpm -qp --qf '%{ARCH}' "$rpm_arm")"
rpmlint -c dist/package/rpmlint.toml "$rpm_x86" "$rpm_arm" >"$work/rpmlint.log" 2>&1 ||
	{ cat "$work/rpmlint.log" >&2; fail "rpmlint"; }
grep -q ' 0 errors, 0 warnings' "$work/rpmlint.log" || { cat "$work/rpmlint.log" >&2; fail "rpmlint has messages"; }

say "5. signing with a throwaway RSA key"
export GNUPGHOME=$work/gnupg
mkdir -m 0700 "$GNUPGHOME"
gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
	--quick-gen-key 'sfkvm release test <release-test@sfkvm.invalid>' rsa3072 sign 1d 2>/dev/null
gpg --batch --armor --pinentry-mode loopback --passphrase '' --export-secret-keys >"$work/signing.asc"
gpg --batch --armor --export >"$work/signing.pub"
SFKVM_RPM_SIGNING_KEY=$work/signing.asc SFKVM_DEB_SIGNING_KEY=$work/signing.asc SFKVM_RELEASE_ARCHES=amd64 \
	SFKVM_RELEASE_DIRTY=1 SFKVM_RELEASE_OUT=$work/signed bash scripts/release.sh "$version" >"$work/build-s.log" 2>&1 ||
	{ cat "$work/build-s.log" >&2; fail "scripts/release.sh with signing keys"; }
signed=$work/signed/sfkvm-$version-1.x86_64.rpm
mkdir "$work/rpmdb"
if rpm --dbpath "$work/rpmdb" -K "$signed" >/dev/null 2>&1; then
	fail "rpm -K accepts the signature before the key is imported"
fi
rpm --dbpath "$work/rpmdb" --import "$work/signing.pub"
expect_eq "rpm -K (key imported)" "$signed: digests signatures OK" "$(rpm --dbpath "$work/rpmdb" -K "$signed")"
kv=$(rpm --dbpath "$work/rpmdb" -Kv "$signed")
grep -q 'V4 RSA/SHA256 Signature, key ID .*: OK' <<<"$kv" || fail "the RPM's signature is not RSA/SHA256: $kv"
signed_deb=$work/signed/sfkvm_$version-1_amd64.deb
ar p "$signed_deb" _gpgorigin >"$work/deb.sig"
ar p "$signed_deb" debian-binary control.tar.gz data.tar.gz |
	gpg --batch --verify "$work/deb.sig" - 2>"$work/gpg.log" || { cat "$work/gpg.log" >&2; fail "the DEB's signature"; }

say "6. the RPM alone, in a chroot"
mkdir -p "$root"
# The rpmdb where RHEL keeps it (Debian's rpm defaults to ~/.rpmdb); and
# without Debian's advice to use alien instead.
rpmr() { rpm --root "$root" --dbpath /var/lib/rpm "$@" 2> >(grep -v '^rpm: \(RPM should not be used directly\|However assuming\)' >&2); }
rpmr -i "$rpm_x86" || fail "rpm --root -i"
rpmr -q sfkvm >/dev/null || fail "rpm --root -q sfkvm"
mkdir -m 0755 "$root/dev" "$root/proc"
mkdir -m 1777 "$root/tmp"
mknod -m 0666 "$root/dev/null" c 1 3
mount -t proc proc "$root/proc"
install -m 0600 examples/kvmguests.conf "$root/tmp/kvmguests.conf"
# The manual's example verbatim: two spaces before guest11's address.
sed '1s/cfguest11 10.20.30.50/cfguest11  10.20.30.50/' examples/kvmguests.conf >"$root/tmp/manual.conf"
chmod 0600 "$root/tmp/manual.conf"
in_root() { # in_root STDOUT STDERR ARGS...: the exit code
	local o=$1 e=$2 rc=0
	shift 2
	env -i PATH=/usr/sbin:/usr/bin chroot "$root" /usr/sbin/sfkvm "$@" >"$o" 2>"$e" || rc=$?
	echo $rc
}
rc=$(in_root "$work/o" "$work/e" --version)
[ "$rc" = 0 ] && grep -q "^sfkvm $version [0-9a-f]\{12\}\(+dirty\)\? go1\." "$work/o" || fail "sfkvm --version: $(cat "$work/o" "$work/e")"
say "   $(cat "$work/o")"
rc=$(in_root "$work/o" "$work/e" check -f /tmp/kvmguests.conf)
expect_eq "sfkvm check -f examples/kvmguests.conf (exit, stdout, stderr)" \
	"0 NOTICE: The check of configuration file succeeded. " "$rc $(cat "$work/o") $(cat "$work/e")"
rc=$(in_root "$work/o" "$work/e" check -f /tmp/manual.conf)
expect_eq "sfkvm check -f the manual's example (exit, stdout, stderr)" \
	"65  /tmp/manual.conf:1:36: error: double-space: 2 spaces between fields; separate fields with exactly one space" \
	"$rc $(cat "$work/o") $(cat "$work/e")"
rc=$(in_root "$work/o" "$work/e" demo)
if [ "$rc" != 0 ] || ! grep -q '^demo: every step behaved as the lab expects' "$work/o"; then
	cat "$work/o" "$work/e" >&2
	fail "sfkvm demo in the chroot: exit $rc"
fi
say "   sfkvm demo: $(grep '^preflight: ' "$work/o")"
umount "$root/proc"
rm -rf "${root:?}/dev" "${root:?}/proc" "${root:?}/tmp"
echo 'SFKVM_SITE_ARGS="--parallel 4"' >>"$root/etc/default/sfkvm-site"
rpmr -e sfkvm || fail "rpm --root -e"
left=$(cd "$root" && find . ! -type d ! -path './var/lib/rpm/*' | LC_ALL=C sort)
expect_eq "files left after rpm -e (the edited config file, saved)" "./etc/default/sfkvm-site.rpmsave" "$left"

say "7. the DEB on this machine"
if dpkg-query -W -f='${Status}' sfkvm 2>/dev/null | grep -qv 'not-installed'; then
	fail "a package sfkvm is already installed here; not touching it"
fi
deb_installed=1
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -i"; }
v=$(/usr/sbin/sfkvm --version)
grep -q "^sfkvm $version " <<<"$v" || fail "/usr/sbin/sfkvm --version: $v"
units=(/usr/lib/systemd/system/sfkvm-preflight.service /usr/lib/systemd/system/sfkvm-preflight.timer
	/usr/lib/systemd/system/sfkvm-site.service /usr/lib/systemd/system/sfkvm-site.timer
	/usr/lib/systemd/system/sfkvm-drill.service /usr/lib/systemd/system/sfkvm-drill.timer)
for u in "${units[@]}"; do
	[ -f "$u" ] || fail "$u is not installed"
done
grep -h '^ExecStart=' "${units[@]}" | grep -v '^ExecStart=/usr/sbin/sfkvm ' && fail "an ExecStart does not run /usr/sbin/sfkvm (above)"
v=$(systemd-analyze verify "${units[@]}" 2>&1) || fail "systemd-analyze verify: $v"
[ -z "$v" ] || fail "systemd-analyze verify: $v"
if find /etc/systemd -name 'sfkvm-*' | grep .; then fail "the package enabled a unit (above)"; fi
m=$(MANWIDTH=80 man -P cat sfkvm 2>&1) || fail "man sfkvm: $m"
echo "$m" | grep -q 'sfkvm-preflight(8)' || fail "man sfkvm does not render its commands: $m"
m=$(MANWIDTH=80 man -P cat sfkvm-check 2>&1) || fail "man sfkvm-check: $m"
echo "$m" | grep -q 'sfkvm check \[-f FILE\]' || fail "man sfkvm-check lacks its usage line: $m"
dpkg -r sfkvm >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -r"; }
expect_eq "dpkg status after dpkg -r" "deinstall ok config-files" "$(dpkg-query -W -f='${Status}' sfkvm)"
for f in $(dpkg-deb --fsys-tarfile "$deb" | tar -t | sed 's|^\.||'); do
	case $f in
	/etc/default/sfkvm-*) [ -f "$f" ] || fail "dpkg -r removed the config file $f" ;;
	*/) ;;
	*) [ ! -e "$f" ] || fail "dpkg -r left $f" ;;
	esac
done
for d in /usr/share/sfkvm /usr/share/doc/sfkvm; do
	[ ! -e "$d" ] || fail "dpkg -r left $d"
done
dpkg -P sfkvm >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -P"; }
deb_installed=
[ ! -e /etc/default/sfkvm-preflight ] && [ ! -e /etc/default/sfkvm-site ] && [ ! -e /etc/default/sfkvm-drill ] || fail "dpkg -P left the config files"
