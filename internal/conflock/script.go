package conflock

// The sh side of the protocol, for hosts reached over SSH with nothing of
// sfkvm installed. Every script starts with prelude: $f is the file
// guarded; it checks the folder as safefile.OpenDir does (a real folder,
// not a symbolic link, owned by root or the caller, not writable by group
// or others), the file (absent, or a regular file and no link) and the
// lock file (absent, or a regular file), and takes flock(1) on the folder
// as fd 9, as the Go side takes flock(2): 10 s at most (exit 9).
//
// The folder, the name and the lock's fields are taken apart by the
// shell itself (SplitPath, field), not by dirname, basename, sed and
// head: each program started is a fork and an exec on the host, and a
// run of rotate or site starts these scripts on every host
// (TestScriptsNeedOnlyTheirTools).
const prelude = `set -u
` + SplitPath + `
l="$d/.$n` + Suffix + `"
for t in flock mktemp dd sha256sum stat chown mv sync date; do
	command -v "$t" >/dev/null 2>&1 || { echo "$t is missing on this host" >&2; exit 5; }
done
if [ -L "$d" ] || [ ! -d "$d" ]; then echo "$d is not a folder (a symbolic link, or missing)" >&2; exit 2; fi
o=$(stat -c '%u %a' -- "$d") || exit 2
u=${o%% *} m=${o#* }
if [ "$u" != 0 ] && [ "$u" != "$(id -u)" ]; then echo "$d is owned by uid $u" >&2; exit 2; fi
if [ $(( 0$m & 022 )) -ne 0 ]; then echo "$d has mode $m: group or others can write it" >&2; exit 2; fi
if [ -L "$f" ] || { [ -e "$f" ] && [ ! -f "$f" ]; }; then echo "$f is not a regular file" >&2; exit 2; fi
if [ -L "$l" ] || { [ -e "$l" ] && [ ! -f "$l" ]; }; then echo "$l is not a regular file" >&2; exit 2; fi
exec 9<"$d" || exit 2
flock -w 10 9 || { echo "$d: its flock was not given within 10 s" >&2; exit 9; }
field() { while IFS= read -r x || [ -n "$x" ]; do case $x in "$1="*) printf '%s\n' "${x#*=}"; return;; esac; done 2>/dev/null <"$l"; }
hashof() { if [ -e "$f" ]; then s=$(sha256sum < "$f") || exit 4; echo "${s%% *}"; else echo none; fi; }
`

// SplitPath sets d and n to the folder and the name of the file $f, as
// dirname and basename would for a file's path ("/etc/x": "/etc" and "x";
// "/x": "/" and "x"; "x": "." and "x"), with no program started. A path
// that ends in "/" names no file: n is empty and the checks that follow
// refuse it.
const SplitPath = `case $f in
*/*) d=${f%/*} n=${f##*/}; d=${d:-/} ;;
*) d=. n=$f ;;
esac`

// AcquireScript takes the lock of a file for a run, or only checks
// everything a write will need (MODE "check": the dry run). Run as
//
//	sh -c AcquireScript sh FILE MODE RUN COMMAND HOST BOOT PID LEASE [TAKEOVER]
//
// with LEASE in seconds, counted on that host's clock. TAKEOVER is the
// run ID of a lock that the caller found Abandoned (taken from the
// caller's own boot by a run that is over): it is taken over as stale. It proves what
// the write will need: the checks of the prelude, a file made, given to
// root and renamed in the folder (the lock file itself), and room on the
// disk for a copy of the file. It prints the SHA-256 of the file, or
// "none". Exit codes: 2 a path is not what it must be, 3 the folder
// cannot be written, 4 the file cannot be read, 5 a tool is missing, 9
// the folder's flock was not given, 10 another run holds the lock (its
// lock file on stderr).
const AcquireScript = `f=$1 mode=$2 run=$3 cmd=$4 host=$5 boot=$6 pid=$7 lease=$8 takeover=${9:-}
` + prelude + `
now=$(date +%s)
if [ -f "$l" ]; then
	o_run=$(field run) o_exp=$(field expires) o_boot=$(field boot) o_pid=$(field pid)
	stale=
	case "$o_exp$o_pid" in ''|*[!0-9]*) o_run=;; esac
	if [ -z "$o_run" ] || [ "$(field sfkvm-lock)" != 1 ]; then head -c 512 "$l" >&2; echo >&2; echo "$l is not a lock of this sfkvm: remove it if no sfkvm runs" >&2; exit 10; fi
	if [ "$o_exp" -le "$now" ] || [ "$o_run" = "$takeover" ]; then stale=1
	elif [ "$o_boot" = "$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)" ] && ! kill -0 "$o_pid" 2>/dev/null; then stale=1
	fi
	if [ "$o_run" != "$run" ] && [ -z "$stale" ]; then cat "$l" >&2; exit 10; fi
fi
size=0
[ -e "$f" ] && size=$(stat -c %s -- "$f")
avail=$(df -Pk -- "$d" | awk 'NR==2 {print $4}')
case "$avail" in ''|*[!0-9]*) avail=0;; esac
if [ $(( avail * 1024 )) -lt $(( size + 4096 )) ]; then echo "$d has $avail KiB free: a copy of $f ($size bytes) would not fit" >&2; exit 3; fi
umask 077
t=$(mktemp "$d/.$n.XXXXXX") || { echo "cannot make a file in $d" >&2; exit 3; }
trap 'rm -f "$t"' EXIT
chown 0:0 "$t" 2>/dev/null || [ "$(id -u)" != 0 ] || { echo "cannot give a file in $d to root" >&2; exit 3; }
if [ "$mode" = lock ]; then
	printf 'sfkvm-lock=1\nrun=%s\ncommand=%s\nhost=%s\nboot=%s\npid=%s\nstarted=%s\nexpires=%s\n' \
		"$run" "$cmd" "$host" "$boot" "$pid" "$now" "$(( now + lease ))" > "$t" || { echo "cannot write in $d" >&2; exit 3; }
	mv -f -- "$t" "$l" || { echo "cannot rename in $d" >&2; exit 3; }
fi
hashof
`

// ReleaseScript removes the lock of a file if RUN holds it:
//
//	sh -c ReleaseScript sh FILE RUN
//
// Exit 0 when it was removed or there was none; 11 when another run
// holds it (its lock file on stderr).
const ReleaseScript = `f=$1 run=$2
` + prelude + `
[ -f "$l" ] || exit 0
if [ "$(field run)" != "$run" ]; then cat "$l" >&2; exit 11; fi
rm -f -- "$l"
sync -- "$d" 2>/dev/null || sync
`

// GuardScript is the start of a script that writes the file under the
// lock. It expects f (the file) and run (the run that must hold the
// lock) set; it runs the prelude, exits 11 when the lock is not run's,
// and leaves the folder's flock held (fd 9) and cur set to the SHA-256
// of the file now ("none" when absent) for the write that follows.
const GuardScript = prelude + `
if [ ! -f "$l" ] || [ "$(field run)" != "$run" ]; then echo "$l: the lock is not this run's any more" >&2; [ -f "$l" ] && head -c 512 "$l" >&2; exit 11; fi
cur=$(hashof)
`

// Exit codes of the scripts, for the Go side's errors.
const (
	ExitPath     = 2
	ExitFolder   = 3
	ExitRead     = 4
	ExitTool     = 5
	ExitBusy     = 9
	ExitLocked   = 10
	ExitNotHeld  = 11
	ExitChanged  = 12
	ExitMismatch = 6
)
