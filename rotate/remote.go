package rotate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/sfkvm/sfkvm/internal/conflock"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// replaceScript replaces the file $1 on a host with stdin, whose SHA-256
// must be $2, under the lock that run $3 holds, if the file is still one
// of the SHA-256s that follow (what the run read), and prints the SHA-256
// of the file in place afterwards. conflock.GuardScript runs first: the
// folder and the file must be the real things (no symbolic link, the
// folder root's and not writable by group or others), the lock must be
// the run's, and the folder's flock is held to the end, so no other sfkvm
// reads or writes the file meanwhile. A file that already is the new one
// is left alone. Then: a temporary file is made in the same folder by
// mktemp, mode 0600 from its first byte (umask 077 too); dd writes stdin
// to it and fsyncs it (conv=fsync); its hash must be the one sent, so an
// input cut short (a connection lost halfway) is never renamed into
// place; it is given to root:root, renamed over the file (mv -f:
// rename(2), atomic within one folder), and the folder synced. Any
// failure removes the temporary file and leaves the old file as it was.
// Exit codes say the step: 2 the folder or file is not what it must be
// (and the others of conflock's scripts), 3 mktemp, 4 the write (a full
// disk), 6 the copy differs from what was sent, 7 chown, 8 the rename,
// 11 the lock is not the run's, 12 the file changed since the run read it.
const replaceScript = `f=$1 h=$2 run=$3
shift 3
` + conflock.GuardScript + `
if [ "$cur" = "$h" ]; then echo "$h"; exit 0; fi
ok=
for e in "$@"; do [ "$cur" = "$e" ] && ok=1; done
if [ -z "$ok" ]; then echo "$f changed since this run read it (sha256 now $cur); nothing was written" >&2; exit 12; fi
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

// writeHost replaces file on a host with data through r, under the lock
// of run, if the file is still one of expect (or already data).
func writeHost(ctx context.Context, r HostRunner, file string, data []byte, run string, expect ...string) error {
	args := append([]string{"-c", replaceScript, "sh", file, hashOf(data), run}, expect...)
	stdout, stderr, status, err := r.RunInput(ctx, data, "sh", args...)
	if err != nil {
		return err
	}
	switch status {
	case 0:
	case conflock.ExitNotHeld:
		return fmt.Errorf("%w: %w: %s", ErrWriteFailed, conflock.ErrNotHeld, sshcheck.QuoteRemote(stderr))
	case conflock.ExitChanged:
		return fmt.Errorf("%w: %w: %s", ErrWriteFailed, conflock.ErrChanged, sshcheck.QuoteRemote(stderr))
	default:
		return fmt.Errorf("%w: exit %d: %s", ErrWriteFailed, status, sshcheck.QuoteRemote(stderr))
	}
	if got := strings.TrimSpace(string(stdout)); got != hashOf(data) {
		return fmt.Errorf("%w: the file read back has sha256 %s", ErrWriteFailed, sshcheck.QuoteRemote([]byte(got)))
	}
	return nil
}

// ErrHostNotReady: a host's copy cannot be written as the run will need
// (a symbolic link, a folder others can write, a full disk, a tool
// missing), or its lock could not be taken.
var ErrHostNotReady = errors.New("the host's copy cannot be written")

// acquireHost runs conflock.AcquireScript on a host: it proves what the
// write will need and, with mode "lock", takes the lock for o. It returns
// the SHA-256 of the file there ("none" when there is none: errNoFile).
func acquireHost(ctx context.Context, r HostRunner, file, mode string, o conflock.Owner) (string, error) {
	lease := strconv.FormatInt(int64(time.Until(o.Expires).Seconds()), 10)
	args := []string{"-c", conflock.AcquireScript, "sh", file, mode, o.Run, o.Command, o.Host, o.Boot, strconv.Itoa(o.PID), lease}
	stdout, stderr, status, err := r.RunInput(ctx, nil, "sh", args...)
	if held, perr := conflock.ParseOwner(stderr); err == nil && status == conflock.ExitLocked && perr == nil && held.Abandoned() {
		// A lock that a run of this host left there (it crashed, or the
		// host went away before the release): taken over at once.
		stdout, stderr, status, err = r.RunInput(ctx, nil, "sh", append(args, held.Run)...)
	}
	if err != nil {
		return "", err
	}
	switch status {
	case 0:
	case conflock.ExitLocked:
		return "", fmt.Errorf("%s: %w: %s", file, conflock.ErrLocked, describeLock(stderr))
	default:
		return "", fmt.Errorf("%w: exit %d: %s", ErrHostNotReady, status, sshcheck.QuoteRemote(stderr))
	}
	h := strings.TrimSpace(string(stdout))
	switch {
	case h == "none":
		return "", errNoFile
	case len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "":
		return "", fmt.Errorf("the lock script printed %s, not a SHA-256", sshcheck.QuoteRemote(stdout))
	}
	return h, nil
}

// describeLock names the holder of a lock from its lock file, as the
// script printed it.
func describeLock(b []byte) string {
	if o, err := conflock.ParseOwner(b); err == nil {
		return "held by " + o.String() + "; wait for it to end (a crashed run's lock goes when its lease ends)"
	}
	return "a lock file that is not sfkvm's: " + sshcheck.QuoteRemote(b)
}

// releaseHost removes the lock of run on a host, if it still holds it.
func releaseHost(ctx context.Context, r HostRunner, file, run string) error {
	_, stderr, status, err := r.RunInput(ctx, nil, "sh", "-c", conflock.ReleaseScript, "sh", file, run)
	if err == nil && status != 0 {
		err = fmt.Errorf("exit %d: %s", status, sshcheck.QuoteRemote(stderr))
	}
	return err
}

// fetchHost reads a host's copy (capped by the runner: 1 MiB through
// sfkvm's own client and OpenSSH's).
func fetchHost(ctx context.Context, r HostRunner, file string) ([]byte, error) {
	stdout, stderr, status, err := r.RunInput(ctx, nil, "cat", "--", file)
	if err != nil {
		return nil, err
	}
	if status != 0 {
		return nil, fmt.Errorf("cat %s: exit %d: %s", file, status, sshcheck.QuoteRemote(stderr))
	}
	return stdout, nil
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
				c, err := p.Dial(ctx, t)
				if err == nil {
					// Host commands have the run's deadlines (Plan.HostTimeout,
					// the run's context, the clean-up's), not the Prober's.
					c.SetCommandTimeout(0)
				}
				return c, err
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

// Caps on what the system's ssh client may print for one command, as
// sfkvm's own client caps it (sshcheck.DefaultMaxStdout and
// DefaultMaxStderr): a host answering with /dev/zero costs at most these.
const (
	MaxOpenSSHStdout = sshcheck.DefaultMaxStdout
	MaxOpenSSHStderr = sshcheck.DefaultMaxStderr
)

// RunInput runs the command on the host as one line quoted for its
// shell. ssh's own failures (exit 255) are errors. A stream that goes
// over its cap (MaxOpenSSHStdout, MaxOpenSSHStderr) ends ssh at once and
// is an error of kind sshcheck.ErrOutputTooLarge; the output is dropped.
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
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	cmd := exec.CommandContext(cctx, path, argv...)
	ownProcessGroup(cmd)
	cmd.Stdin = bytes.NewReader(stdin)
	o := &cappedWriter{max: MaxOpenSSHStdout, stop: stop}
	e := &cappedWriter{max: MaxOpenSSHStderr, stop: stop}
	cmd.Stdout, cmd.Stderr = o, e
	err = cmd.Run()
	var ee *exec.ExitError
	for _, w := range []*cappedWriter{o, e} {
		if w.over {
			stream := map[*cappedWriter]string{o: "stdout", e: "stderr"}[w]
			return nil, nil, -1, &sshcheck.Error{Kind: sshcheck.ErrOutputTooLarge, Address: r.host, Stage: sshcheck.StageCommand,
				Command: line, Stream: stream, Limit: int64(w.max)}
		}
	}
	switch {
	case err == nil:
		return o.buf.Bytes(), e.buf.Bytes(), 0, nil
	case ctx.Err() != nil:
		return nil, nil, -1, fmt.Errorf("ssh %s: %w", r.host, ctx.Err())
	case errors.As(err, &ee) && ee.ExitCode() == 255:
		return nil, nil, -1, fmt.Errorf("ssh %s: %s", r.host, sshcheck.QuoteRemote(e.buf.Bytes()))
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return o.buf.Bytes(), e.buf.Bytes(), ee.ExitCode(), nil
	}
	return nil, nil, -1, fmt.Errorf("ssh %s: %w", r.host, err)
}

// cappedWriter keeps at most max bytes; past them it stops the command
// (its process group is killed) and refuses to take more.
type cappedWriter struct {
	buf  bytes.Buffer
	max  int
	over bool
	stop func()
}

var errOverCap = errors.New("over its cap")

func (w *cappedWriter) Write(p []byte) (int, error) {
	if w.over || w.buf.Len()+len(p) > w.max {
		w.over = true
		w.stop()
		return 0, errOverCap
	}
	return w.buf.Write(p)
}
