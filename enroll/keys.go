package enroll

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

// errScanned stops a key scan's handshake once the host key is seen.
var errScanned = errors.New("enroll: host key seen")

// scanKey connects to hostport and returns the host key it offers,
// restricted to algos when given (the types known_hosts holds for it, so
// that the key compared is the one recorded). No authentication is tried.
func scanKey(ctx context.Context, dial func(ctx context.Context, network, addr string) (net.Conn, error), hostport string, algos []string) (ssh.PublicKey, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	conn, err := dial(ctx, "tcp", hostport)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	var key ssh.PublicKey
	cfg := &ssh.ClientConfig{User: "sfkvm-keyscan", HostKeyAlgorithms: algos,
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error { key = k; return errScanned }}
	_, _, _, err = ssh.NewClientConn(conn, hostport, cfg)
	if key != nil {
		return key, nil
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%s: no host key within 15 s: %w", hostport, ctx.Err())
	}
	return nil, fmt.Errorf("%s: no host key: %w", hostport, err)
}

// knownState is what a set of known_hosts files says of a key.
type knownState int

const (
	keyUnknown knownState = iota
	keyKnown
	keyChanged
)

// lookupKey scans hostport and checks its key against files (those that
// exist): known, unknown (the key is returned to be confirmed) or
// changed (never accepted).
func lookupKey(ctx context.Context, dial func(ctx context.Context, network, addr string) (net.Conn, error), hostport string, files []string) (ssh.PublicKey, knownState, error) {
	var existing []string
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			existing = append(existing, f)
		}
	}
	var db *knownhosts.HostKeyDB
	var algos []string
	if len(existing) > 0 {
		var err error
		if db, err = knownhosts.NewDB(existing...); err != nil {
			return nil, keyUnknown, err
		}
		algos = db.HostKeyAlgorithms(hostport)
	}
	key, err := scanKey(ctx, dial, hostport, algos)
	if err != nil {
		return nil, keyUnknown, err
	}
	if db == nil {
		return key, keyUnknown, nil
	}
	err = db.HostKeyCallback()(hostport, fakeAddr(hostport), key)
	switch {
	case err == nil:
		return key, keyKnown, nil
	case knownhosts.IsHostUnknown(err):
		return key, keyUnknown, nil
	case knownhosts.IsHostKeyChanged(err):
		return key, keyChanged, nil
	}
	return key, keyUnknown, err
}

func fakeAddr(hostport string) net.Addr {
	a, _ := net.ResolveTCPAddr("tcp", hostport)
	if a == nil {
		return &net.TCPAddr{}
	}
	return a
}

// knownHostsLine is the hashed known_hosts line of key for hostport, as
// OpenSSH records a port-22 host by its bare address.
func knownHostsLine(hostport string, key ssh.PublicKey) string {
	return xknownhosts.HashHostname(xknownhosts.Normalize(hostport)) + " " + key.Type() + " " +
		base64.StdEncoding.EncodeToString(key.Marshal())
}

// keyBlob is the base64 of key, as known_hosts holds it.
func keyBlob(key ssh.PublicKey) string { return base64.StdEncoding.EncodeToString(key.Marshal()) }

// trustScript records a host key in a known_hosts file on a host or a
// guest, as root: `sh -c trustScript sh FILE NAME LINE BLOB [check]`. Under
// flock(1) on the file: a key already there for NAME (ssh-keygen -F) is
// left alone (prints "known"); a different key for NAME is never replaced
// (exit 12, its lines on stderr); else the line is appended (prints
// "added"), the file 0600 and its folder 0700, made when missing.
const trustScript = `set -u
f=$1 name=$2 line=$3 blob=$4 mode=${5:-add}
d=$(dirname -- "$f")
if [ "$mode" = check ]; then
	out=$(ssh-keygen -F "$name" -f "$f" 2>/dev/null | grep -v '^#')
	if [ -z "$out" ]; then echo would; exit 0; fi
	case "$out" in *" $blob"*) echo known; exit 0;; esac
	echo "$f holds another key for $name:" >&2; printf '%s\n' "$out" | cut -c1-200 >&2; exit 12
fi
if [ ! -d "$d" ]; then mkdir -m 0700 -p -- "$d" || exit 3; fi
if [ -L "$f" ] || [ -L "$d" ]; then echo "$f or its folder is a symbolic link" >&2; exit 2; fi
umask 077
exec 9>>"$f" || exit 3
command -v flock >/dev/null 2>&1 && { flock -w 10 9 || { echo "$f: no flock within 10 s" >&2; exit 9; }; }
out=$(ssh-keygen -F "$name" -f "$f" 2>/dev/null | grep -v '^#')
if [ -n "$out" ]; then
	case "$out" in *" $blob"*) echo known; exit 0;; esac
	echo "$f holds another key for $name:" >&2; printf '%s\n' "$out" | cut -c1-200 >&2; exit 12
fi
if [ -s "$f" ] && [ -n "$(tail -c 1 -- "$f")" ]; then echo >&9; fi
printf '%s\n' "$line" >&9 || exit 4
chmod 0600 -- "$f"
echo added
`

// exitKeyChanged is trustScript's exit status for a different key.
const exitKeyChanged = 12

// runTrust runs trustScript through run (a host's or the guest's runner)
// and returns "known", "added" or (dryRun) "would".
func runTrust(ctx context.Context, run func(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, []byte, int, error),
	file, hostport string, key ssh.PublicKey, dryRun bool) (string, error) {
	name := xknownhosts.Normalize(hostport)
	mode := "add"
	if dryRun {
		mode = "check"
	}
	stdout, stderr, status, err := run(ctx, nil, "sh", "-c", trustScript, "sh", file, name, knownHostsLine(hostport, key), keyBlob(key), mode)
	if err != nil {
		return "", err
	}
	switch status {
	case 0:
		return strings.TrimSpace(string(stdout)), nil
	case exitKeyChanged:
		return "", fmt.Errorf("%w: %s", ErrKeyChanged, quote(stderr))
	}
	return "", fmt.Errorf("recording the key in %s: exit %d: %s", file, status, quote(stderr))
}
