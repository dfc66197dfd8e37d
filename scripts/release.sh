#!/usr/bin/env bash
# A release of sfkvm, built from the commit that is checked out:
#
#   bash scripts/release.sh VERSION        (VERSION like 1.2.0, no leading v)
#
# writes into out/release/VERSION/ (and nowhere else):
#
#   sfkvm_VERSION_linux_{amd64,arm64}            the static binaries
#   sfkvm_VERSION_linux_{amd64,arm64}.tar.gz     the binary, man pages,
#                                                units, rules and docs for a
#                                                hand install (/usr/local)
#   sfkvm-VERSION-1.{x86_64,aarch64}.rpm         RHEL 8/9, SLES 15
#   sfkvm_VERSION-1_{amd64,arm64}.deb            Debian, Ubuntu
#   sfkvm_VERSION_linux_{amd64,arm64}.cdx.json   CycloneDX SBOMs
#   SHA256SUMS
#
# The binaries: CGO_ENABLED=0 (no dynamic section: nothing of glibc or
# libvirt is needed on the host), -trimpath, -buildvcs=false, the build id
# empty, the version and commit stamped with -X. Packages are made by nfpm
# (github.com/goreleaser/nfpm/v2, run as a tool; no rpmbuild), the SBOMs by
# cyclonedx-gomod in app mode with the build's settings (CGO_ENABLED=0, the
# target's GOARCH, no tags).
#
# Reproducible: every timestamp is the commit's time (SOURCE_DATE_EPOCH),
# tarballs are sorted with owner 0 and gzip -n, nfpm is given the same
# mtime and a fixed build host. Two runs on the same commit give the same
# SHA256SUMS (scripts/release-test.sh checks it). A checkout with changes
# is refused (the release would not be the commit's) unless
# SFKVM_RELEASE_DIRTY=1; then the version says +dirty.
#
# Optional signing, with keys the caller gives (armored OpenPGP private
# keys, RSA; signatures use SHA-256):
#   SFKVM_RPM_SIGNING_KEY=FILE   signs the RPMs (passphrase: NFPM_RPM_PASSPHRASE)
#   SFKVM_DEB_SIGNING_KEY=FILE   signs the DEBs, debsign style (NFPM_DEB_PASSPHRASE)
# A signature carries its own creation time, so signed packages differ
# from run to run; the unsigned ones do not.
#
# Other knobs: SFKVM_RELEASE_OUT=DIR (instead of out/release/VERSION),
# SFKVM_RELEASE_ARCHES="amd64 arm64", SFKVM_RELEASE_TOOLS=DIR (the tools
# kept there between runs, below), SFKVM_LICENSE (the SPDX identifier
# for the packages' licence field; the default says none is declared).
set -euo pipefail
cd "$(dirname "$0")/.."

nfpm_version=v2.48.0
cyclonedx_version=v1.10.0

say() { echo "release: $*" >&2; }
die() { say "$*"; exit 1; }

[ $# -eq 1 ] || die "usage: bash scripts/release.sh VERSION (like 1.2.0)"
version=$1
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([~.][0-9A-Za-z.]+)?$ ]] ||
	die "VERSION $version: want MAJOR.MINOR.PATCH, optionally ~rc1 or .SUFFIX (an RPM and DEB version: no dash, no leading v)"

for tool in go git tar gzip sha256sum; do
	command -v "$tool" >/dev/null || die "$tool is missing"
done
commit=$(git rev-parse --verify HEAD) || die "not a git checkout"
short=${commit:0:12}
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	[ "${SFKVM_RELEASE_DIRTY:-}" = 1 ] || die "the checkout has changes: commit them (or SFKVM_RELEASE_DIRTY=1 for a trial build)"
	short+=+dirty
fi
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct "$commit")
export SOURCE_DATE_EPOCH
mtime_rfc3339=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)

out=${SFKVM_RELEASE_OUT:-out/release/$version}
arches=${SFKVM_RELEASE_ARCHES:-amd64 arm64}
license=${SFKVM_LICENSE:-LicenseRef-not-declared}
# A folder to replace: absent, or holding nothing but an earlier release's
# files (never whatever SFKVM_RELEASE_OUT happens to name).
if [ -d "$out" ] && ls -A "$out" | grep -v '^sfkvm\|^SHA256SUMS$' >/dev/null; then
	die "$out holds files that no release made: not replacing it"
fi
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d /tmp/sfkvm-release.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Every file that goes into a package or tarball is staged in $work with
# its final mode and the commit's mtime, whatever the checkout's umask.
stage() { # stage SRC DEST MODE
	install -D -m "$3" "$1" "$2"
	touch -h -d "@$SOURCE_DATE_EPOCH" "$2"
}

# The tools, built once for this machine (go install NAME@VERSION: the
# module proxy's copy, whatever go.mod says), into this run's folder, or
# into SFKVM_RELEASE_TOOLS=DIR when set: a folder of the caller's, kept
# between runs (scripts/release-test.sh makes three releases with one set
# of tools), where a tool is used again only when it is the version named
# here (go version -m). Its programs run as the caller, so the folder
# must be the caller's and writable by no one else.
tools=${SFKVM_RELEASE_TOOLS:-$work/bin}
if [ -n "${SFKVM_RELEASE_TOOLS:-}" ]; then
	[ -d "$tools" ] && [ ! -L "$tools" ] && [ -O "$tools" ] && [ -z "$(find "$tools" -maxdepth 0 -perm /022)" ] ||
		die "SFKVM_RELEASE_TOOLS=$tools: want a folder of yours that no one else can write (a new one: mkdir -m 0700 $tools; this one, if it is yours: chmod go-w $tools)"
	tools=$(cd "$tools" && pwd)
fi
tool() { # tool NAME MODULE PACKAGE VERSION: $tools/NAME at VERSION
	go version -m "$tools/$1" 2>/dev/null | awk -v m="$2" -v v="$4" '$1 == "mod" && $2 == m && $3 == v { ok = 1 } END { exit !ok }' ||
		{ rm -f -- "$tools/$1" && GOBIN=$tools CGO_ENABLED=0 go install "$3@$4"; }
}
say "tools: nfpm $nfpm_version, cyclonedx-gomod $cyclonedx_version"
tool nfpm github.com/goreleaser/nfpm/v2 github.com/goreleaser/nfpm/v2/cmd/nfpm "$nfpm_version"
tool cyclonedx-gomod github.com/CycloneDX/cyclonedx-gomod github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod "$cyclonedx_version"

export CGO_ENABLED=0 GOOS=linux GOFLAGS=-mod=readonly
ldflags="-buildid= -s -w -X main.stampedVersion=$version -X main.stampedCommit=$short"
build() { # build GOARCH OUTPUT
	GOARCH=$1 go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$2" ./examples/sfkvm
}

# The man pages, from the help text of the binary for this machine (the
# text is the same on every architecture).
say "man pages"
build "$(go env GOHOSTARCH)" "$work/sfkvm-host"
mkdir -p "$work/man8"
"$work/sfkvm-host" help --man "$work/man8"
for f in "$work"/man8/*.8; do
	gzip -n -9 <"$f" >"$f.gz"
	touch -d "@$SOURCE_DATE_EPOCH" "$f" "$f.gz"
done

# The units as packaged: sfkvm in /usr/sbin, the units in
# /usr/lib/systemd/system (the packages' paths, not dist/systemd's hand
# install in /usr/local/sbin), the man page among their documentation.
mkdir -p "$work/units"
for f in dist/systemd/*.service dist/systemd/*.timer; do
	base=$(basename "$f")
	unit=${base%.*}
	perl -0pe '
		s{/usr/local/sbin/sfkvm}{/usr/sbin/sfkvm}g;
		s{Install sfkvm as(\s*#?\s*)/usr/sbin/sfkvm}{The package installs sfkvm as$1/usr/sbin/sfkvm}g;
		s{copy both(\s*#?\s*)units to(\s*#?\s*)/etc/systemd/system,}{both units$1are in$2/usr/lib/systemd/system,}g;
		s{^Documentation=}{Documentation=man:'"$unit"'(8) }m if /^\[Service\]/m;
	' "$f" >"$work/units/$base"
	if grep -n '/usr/local\|copy both\|/etc/systemd/system' "$work/units/$base" >&2; then
		die "$f: the packaged copy still describes a hand install (the lines above); update the rewriting here"
	fi
	touch -d "@$SOURCE_DATE_EPOCH" "$work/units/$base"
done
# cyclonedx-gomod reads the main module's version from git with go-git,
# which opens no linked worktree and would see every tag of the
# repository: it reads a copy of the tracked files instead, committed once
# in a repository of its own (fixed author and dates) and tagged
# v$version, so the SBOM names the release's version and nothing else.
sbom_src=$work/src
mkdir -p "$sbom_src"
git ls-files -z | tar --null -T - -cf - | tar -C "$sbom_src" -xf -
(
	cd "$sbom_src"
	export GIT_AUTHOR_NAME=sfkvm GIT_AUTHOR_EMAIL=release@sfkvm.invalid GIT_COMMITTER_NAME=sfkvm \
		GIT_COMMITTER_EMAIL=release@sfkvm.invalid GIT_AUTHOR_DATE="@$SOURCE_DATE_EPOCH" GIT_COMMITTER_DATE="@$SOURCE_DATE_EPOCH"
	g=(git -c init.defaultBranch=main -c commit.gpgSign=false -c tag.gpgSign=false -c core.hooksPath=/dev/null)
	"${g[@]}" init -q && "${g[@]}" add -A && "${g[@]}" commit -q -m "sfkvm $version ($short)" && "${g[@]}" tag "v$version"
)

# The packages' changelog (rpm's %changelog, the DEB's changelog.gz): one
# entry for this release, dated with the commit.
maintainer="sfkvm maintainers <https://github.com/sfkvm/sfkvm/issues>"
cat >"$work/changelog.yml" <<EOF
- semver: $version-1
  date: $mtime_rfc3339
  packager: $maintainer
  changes:
    - commit: $commit
      note: sfkvm $version, built from commit $short
EOF

for arch in $arches; do
	case $arch in
	amd64) rpmarch=x86_64 ;;
	arm64) rpmarch=aarch64 ;;
	*) die "architecture $arch: only amd64 and arm64" ;;
	esac
	name=sfkvm_${version}_linux_$arch
	say "$name: binary"
	build "$arch" "$out/$name"
	touch -d "@$SOURCE_DATE_EPOCH" "$out/$name"
	chmod 0755 "$out/$name"

	say "$name: SBOM"
	(cd "$sbom_src" && GOARCH=$arch "$tools/cyclonedx-gomod" \
		app -json -noserial -notimestamp -main examples/sfkvm -output "$out/$name.cdx.json" .) 2>"$work/cyclonedx.log" ||
		{ cat "$work/cyclonedx.log" >&2; die "cyclonedx-gomod failed"; }

	say "$name: tarball"
	t=$work/tar/$name
	stage "$out/$name" "$t/sfkvm" 0755
	for f in "$work"/man8/*.8; do stage "$f" "$t/man8/$(basename "$f")" 0644; done
	for f in dist/systemd/*; do stage "$f" "$t/systemd/$(basename "$f")" 0644; done
	for f in dist/prometheus/*.rules.yml; do stage "$f" "$t/prometheus/$(basename "$f")" 0644; done
	stage README.md "$t/README.md" 0644
	[ -f LICENSE ] && stage LICENSE "$t/LICENSE" 0644
	find "$t" -type d -exec touch -d "@$SOURCE_DATE_EPOCH" {} +
	find "$t" -type d -exec chmod 0755 {} +
	tar -C "$work/tar" --sort=name --format=gnu --mtime="@$SOURCE_DATE_EPOCH" \
		--owner=0 --group=0 --numeric-owner -cf - "$name" | gzip -n -9 >"$out/$name.tar.gz"

	say "$name: RPM and DEB"
	p=$work/pkg-$arch
	stage "$out/$name" "$p/sfkvm" 0755
	{
		cat <<-EOF
		name: sfkvm
		arch: $arch
		platform: linux
		version: $version
		release: 1
		epoch: ""
		section: admin
		priority: optional
		maintainer: $maintainer
		vendor: sfkvm
		homepage: https://github.com/sfkvm/sfkvm
		license: $license
		mtime: $mtime_rfc3339
		changelog: $work/changelog.yml
		description: |-
		  Prepares PRIMECLUSTER KVM guest cluster nodes for live migration.
		  sfkvm checks kvmguests.conf, logs in to the guests as PRIMECLUSTER
		  will, drives the shutdown facility, registers the host and sets up
		  the guests (section F.2.2 of the PRIMECLUSTER Installation and
		  Administration Guide), and proves readiness with one preflight
		  report, on a systemd timer for Prometheus' node_exporter.
		  One static binary: it needs no library on the host.
		umask: 0o022
		rpm:
		  group: Applications/System
		  summary: Prepares PRIMECLUSTER KVM guest cluster nodes for live migration
		  buildhost: sfkvm-release
		  compression: gzip
		deb:
		  compression: gzip
		contents:
		  - src: $p/sfkvm
		    dst: /usr/sbin/sfkvm
		    file_info: {mode: 0o755, mtime: $mtime_rfc3339}
		EOF
		# Man pages are documentation to rpm (%doc; rpm --excludedocs leaves
		# them out); a DEB has no such mark.
		for f in "$work"/man8/*.8.gz; do
			printf '  - src: %s\n    dst: /usr/share/man/man8/%s\n    type: doc\n    packager: rpm\n    file_info: {mode: 0o644, mtime: %s}\n' \
				"$f" "$(basename "$f")" "$mtime_rfc3339"
			printf '  - src: %s\n    dst: /usr/share/man/man8/%s\n    packager: deb\n    file_info: {mode: 0o644, mtime: %s}\n' \
				"$f" "$(basename "$f")" "$mtime_rfc3339"
		done
		for f in "$work"/units/*; do
			printf '  - src: %s\n    dst: /usr/lib/systemd/system/%s\n    file_info: {mode: 0o644, mtime: %s}\n' \
				"$f" "$(basename "$f")" "$mtime_rfc3339"
		done
		for s in preflight site drill; do
			stage "dist/systemd/sfkvm-$s.default" "$p/default/sfkvm-$s" 0644
			printf '  - src: %s\n    dst: /etc/default/sfkvm-%s\n    type: config|noreplace\n    file_info: {mode: 0o644, mtime: %s}\n' \
				"$p/default/sfkvm-$s" "$s" "$mtime_rfc3339"
		done
		for f in dist/prometheus/*.rules.yml; do
			stage "$f" "$p/prometheus/$(basename "$f")" 0644
			printf '  - src: %s\n    dst: /usr/share/sfkvm/prometheus/%s\n    file_info: {mode: 0o644, mtime: %s}\n' \
				"$p/prometheus/$(basename "$f")" "$(basename "$f")" "$mtime_rfc3339"
		done
		stage dist/package/README "$p/README" 0644
		# rpm marks it %doc; nfpm leaves a "doc" entry out of a DEB.
		printf '  - src: %s\n    dst: /usr/share/doc/sfkvm/README\n    type: doc\n    packager: rpm\n    file_info: {mode: 0o644, mtime: %s}\n' \
			"$p/README" "$mtime_rfc3339"
		printf '  - src: %s\n    dst: /usr/share/doc/sfkvm/README\n    packager: deb\n    file_info: {mode: 0o644, mtime: %s}\n' \
			"$p/README" "$mtime_rfc3339"
		if [ -f LICENSE ]; then
			stage LICENSE "$p/LICENSE" 0644
			printf '  - src: %s\n    dst: /usr/share/licenses/sfkvm/LICENSE\n    type: license\n    packager: rpm\n    file_info: {mode: 0o644, mtime: %s}\n' \
				"$p/LICENSE" "$mtime_rfc3339"
			printf '  - src: %s\n    dst: /usr/share/doc/sfkvm/copyright\n    packager: deb\n    file_info: {mode: 0o644, mtime: %s}\n' \
				"$p/LICENSE" "$mtime_rfc3339"
		fi
		# The folders this package owns (the others belong to the system).
		printf '  - dst: %s\n    type: dir\n    file_info: {mode: 0o755, mtime: %s}\n' \
			/usr/share/sfkvm "$mtime_rfc3339" \
			/usr/share/sfkvm/prometheus "$mtime_rfc3339" \
			/usr/share/doc/sfkvm "$mtime_rfc3339"
	} >"$p/nfpm.yaml"
	# nfpm's signature settings sit under rpm: and deb:; add them to those
	# blocks (YAML merges nothing).
	if [ -n "${SFKVM_RPM_SIGNING_KEY:-}" ]; then
		[ -r "$SFKVM_RPM_SIGNING_KEY" ] || die "SFKVM_RPM_SIGNING_KEY=$SFKVM_RPM_SIGNING_KEY: not readable"
		sed -i "s|^  buildhost: sfkvm-release\$|&\n  signature:\n    key_file: $(realpath "$SFKVM_RPM_SIGNING_KEY")|" "$p/nfpm.yaml"
	fi
	if [ -n "${SFKVM_DEB_SIGNING_KEY:-}" ]; then
		[ -r "$SFKVM_DEB_SIGNING_KEY" ] || die "SFKVM_DEB_SIGNING_KEY=$SFKVM_DEB_SIGNING_KEY: not readable"
		sed -i "/^deb:\$/a\\  signature:\\n    method: debsign\\n    key_file: $(realpath "$SFKVM_DEB_SIGNING_KEY")" "$p/nfpm.yaml"
	fi
	for packager in rpm deb; do
		"$tools/nfpm" package \
			--config "$p/nfpm.yaml" --packager "$packager" --target "$out/" >"$work/nfpm.log" 2>&1 ||
			{ cat "$work/nfpm.log" >&2; die "nfpm ($packager, $arch) failed"; }
	done
	[ -f "$out/sfkvm-$version-1.$rpmarch.rpm" ] || die "nfpm made no sfkvm-$version-1.$rpmarch.rpm: $(ls "$out")"
	[ -f "$out/sfkvm_$version-1_$arch.deb" ] || die "nfpm made no sfkvm_$version-1_$arch.deb: $(ls "$out")"
done

(cd "$out" && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%f\n' | LC_ALL=C sort | xargs sha256sum >SHA256SUMS)
say "done: $out (commit $short, SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH)"
cat "$out/SHA256SUMS"
