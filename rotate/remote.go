package rotate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/sfkvm/sfkvm/sshcheck"
)

// replaceScript replaces the file $1 on a host with stdin, whose SHA-256
// must be $2, and prints the SHA-256 of the file in place afterwards. The
// steps: the folder and the file must be the real things (no symbolic
// link); a temporary file is made in the same folder by mktemp, mode 0600
// from its first byte (umask 077 too); dd writes stdin to it and fsyncs
// it (conv=fsync); its hash must be the one sent, so an input cut short
// (a connection lost halfway) is never renamed into place; it is given to
// root:root, renamed over the file (mv -f: rename(2), atomic within one
// folder), and the folder synced. Any failure removes the temporary file
// and leaves the old file as it was. Exit codes say the step: 2 the
// folder or file is not what it must be, 3 mktemp, 4 the write (a full
// disk), 6 the copy differs from what was sent, 7 chown, 8 the rename.
const replaceScript = `set -u
f=$1 h=$2
d=$(dirname -- "$f") n=$(basename -- "$f")
if [ ! -d "$d" ] || [ -L "$d" ]; then echo "$d is not a folder" >&2; exit 2; fi
if [ -L "$f" ] || { [ -e "$f" ] && [ ! -f "$f" ]; }; then echo "$f is not a regular file" >&2; exit 2; fi
umask 077
t=$(mktemp "$d/.$n.XXXXXX") || exit 3
trap 'rm -f "$t"' EXIT
trap 'exit 129' HUP INT TERM PIPE
dd of="$t" conv=fsync status=none || exit 4
s=$(sha256sum < "$t") || exit 4
s=${s%% *}
if [ "$s" != "$h" ]; then echo "the copy received differs from the one sent (sha256 $s)" >&2; exit 6; fi
chown 0:0 "$t" || exit 7
mv -f -- "$t" "$f" || exit 8
sync -- "$d" 2>/dev/null || sync
s=$(sha256sum < "$f") && echo "${s%% *}"
`

// ErrWriteFailed: a host's copy could not be replaced (the command
// failed: a full disk, a missing folder, a copy cut short).
var ErrWriteFailed = errors.New("the host's copy could not be replaced")

// writeHost replaces h's file with data through r.
func writeHost(ctx context.Context, r HostRunner, file string, data []byte) error {
	stdout, stderr, status, err := r.RunInput(ctx, data, "sh", "-c", replaceScript, "sh", file, hashOf(data))
	if err != nil {
		return err
	}
	if status != 0 {
		return fmt.Errorf("%w: exit %d: %s", ErrWriteFailed, status, sshcheck.QuoteRemote(stderr))
	}
	if got := strings.TrimSpace(string(stdout)); got != hashOf(data) {
		return fmt.Errorf("%w: the file read back has sha256 %s", ErrWriteFailed, sshcheck.QuoteRemote([]byte(got)))
	}
	return nil
}

// errNoFile: the host has no copy.
var errNoFile = errors.New("no such file")

// hashHost returns the SHA-256 of h's file, in hex.
func hashHost(ctx context.Context, r HostRunner, file string) (string, error) {
	stdout, stderr, status, err := r.RunInput(ctx, nil, "sha256sum", "--", file)
	if err != nil {
		return "", err
	}
	if status != 0 {
		if bytes.Contains(stderr, []byte("No such file")) {
			return "", errNoFile
		}
		return "", fmt.Errorf("sha256sum %s: exit %d: %s", file, status, sshcheck.QuoteRemote(stderr))
	}
	h, _, _ := strings.Cut(string(stdout), " ")
	if len(h) != 64 {
		return "", fmt.Errorf("sha256sum %s printed %s", file, sshcheck.QuoteRemote(stdout))
	}
	return h, nil
}

func hashOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// SSHConnector reaches hosts with p, logging in as each target says
// (user root; Keys, such as sshcheck.DefaultKeys(), or a Password). name
// is the target's Name.
func SSHConnector(p *sshcheck.Prober, targets []sshcheck.Target) Connector {
	return func(ctx context.Context, name string) (HostRunner, error) {
		for _, t := range targets {
			if t.Name == name {
				return p.Dial(ctx, t)
			}
		}
		return nil, fmt.Errorf("no target for host %q", name)
	}
}

var _ HostRunner = (*sshcheck.Client)(nil)

// OpenSSH reaches hosts through the system's ssh client, as root's own
// scripts do: root's keys, agent, ssh_config and known_hosts. Path ""
// means "ssh"; Args come before the host (e.g. "-i", FILE, "-p", PORT).
// BatchMode=yes is always given: ssh never asks anything.
type OpenSSH struct {
	Path string
	Args []string
}

// Connector returns the Connector of o.
func (o OpenSSH) Connector() Connector {
	return func(_ context.Context, name string) (HostRunner, error) {
		return &opensshRunner{o: o, host: name}, nil
	}
}

type opensshRunner struct {
	o    OpenSSH
	host string
}

func (r *opensshRunner) Close() error { return nil }

// RunInput runs the command on the host as one line quoted for its
// shell. ssh's own failures (exit 255) are errors.
func (r *opensshRunner) RunInput(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, []byte, int, error) {
	line, err := sshcheck.QuoteCommand(name, args...)
	if err != nil {
		return nil, nil, -1, err
	}
	path := r.o.Path
	if path == "" {
		path = "ssh"
	}
	argv := append([]string{"-o", "BatchMode=yes"}, r.o.Args...)
	argv = append(argv, "--", r.host, line)
	cmd := exec.CommandContext(ctx, path, argv...)
	ownProcessGroup(cmd)
	cmd.Stdin = bytes.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return o.Bytes(), e.Bytes(), 0, nil
	case ctx.Err() != nil:
		return nil, nil, -1, fmt.Errorf("ssh %s: %w", r.host, ctx.Err())
	case errors.As(err, &ee) && ee.ExitCode() == 255:
		return nil, nil, -1, fmt.Errorf("ssh %s: %s", r.host, sshcheck.QuoteRemote(e.Bytes()))
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return o.Bytes(), e.Bytes(), ee.ExitCode(), nil
	}
	return nil, nil, -1, fmt.Errorf("ssh %s: %w", r.host, err)
}
