#!/usr/bin/env bash
# Regenerates the real `chage -l` outputs that passwordage_test.go pins:
# makes one throw-away local account per case (no home, no shell, removed
# on exit, also on failure or Ctrl-C), sets its ageing with chage relative
# to today (UTC) and writes what `LC_ALL=C chage -l` prints to CASE.txt.
# The date of the run goes to NOW, which the tests read as "today".
# Run as root:  sshcheck/testdata/chage/generate.sh
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "$0: must run as root" >&2; exit 77; }
cd "$(dirname "$0")"
prefix=sfkage$$
cases=(never soon expired mustchange account nomax)
cleanup() { for c in "${cases[@]}"; do userdel "${prefix}_$c" 2>/dev/null || true; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM
day() { date -u -d "$1" +%F; }
for c in "${cases[@]}"; do
	u=${prefix}_$c
	useradd -M -s /usr/sbin/nologin "$u"
	printf '%s:%s\n' "$u" "$(head -c 12 /dev/urandom | base64)" | chpasswd
done
chage -M 99999 "${prefix}_never"                                     # Debian's default: never expires
chage -d "$(day '-80 days')" -M 90 -W 7 "${prefix}_soon"              # expires in 10 days
chage -d "$(day '-100 days')" -M 90 -I 30 "${prefix}_expired"         # expired 10 days ago
chage -d 0 "${prefix}_mustchange"                                     # must be changed at next login
chage -M 60 -E "$(day '+5 days')" "${prefix}_account"                 # the account expires in 5 days
chage -M -1 "${prefix}_nomax"                                         # no maximum age at all
for c in "${cases[@]}"; do
	LC_ALL=C chage -l "${prefix}_$c" >"$c.txt"
done
date -u +%F >NOW
