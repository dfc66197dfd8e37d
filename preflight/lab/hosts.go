package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sfkvm/sfkvm/internal/conflock"
	"github.com/sfkvm/sfkvm/internal/safefile"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// SFKVM is where sfkvm is on the lab's hosts: `sfkvm site --sfkvm` names
// it. A host answers `SFKVM preflight --format=json ARGS` (WithPreflight).
const SFKVM = "/usr/local/sbin/sfkvm"

// PreflightTimeout bounds one preflight run on a lab host.
const PreflightTimeout = 2 * time.Minute

// PreflightFunc runs sfkvm preflight as the lab's host of that CF name
// (HostName or Host2Name) would, with its own files, and args after
// `--format=json`: only PreflightArgs, checked by the lab. It returns the
// exit status. ctx ends when the lab closes, or after PreflightTimeout.
type PreflightFunc func(ctx context.Context, host string, args []string, stdin io.Reader, stdout, stderr io.Writer) int

// WithPreflight makes the lab's hosts answer `SFKVM preflight
// --format=json ARGS`, as a host running sfkvm does, by calling run: what
// `sfkvm site` runs on every host. The lab passes on only the arguments
// PreflightArgs allows, so that a client of the lab's hosts cannot make
// run read or write other files or run other programs (--sdtool,
// --textfile, -f): another argument is a usage error (exit 2), any other
// command is not found (exit 127). Without it, SFKVM is not found.
func WithPreflight(run PreflightFunc) Option { return func(s *settings) { s.preflight = run } }

// PreflightArgs are the flags of sfkvm preflight that the lab's hosts
// pass on to the PreflightFunc, each as --NAME=VALUE or --NAME VALUE:
// they narrow or bound the run and name no file or program.
var PreflightArgs = []string{"guest", "parallel", "password-warn-days", "timeout"}

// ErrPreflightArg: an argument that the lab's hosts do not pass on.
var ErrPreflightArg = errors.New("not an argument the lab's hosts pass on to sfkvm preflight")

// CheckPreflightArgs returns args if each is one of PreflightArgs with its
// value, else an error wrapping ErrPreflightArg that names the first
// other.
func CheckPreflightArgs(args []string) ([]string, error) {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		name, value, hasValue := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		if !strings.HasPrefix(arg, "--") || !slices.Contains(PreflightArgs, name) {
			return nil, fmt.Errorf("%q: %w (only --%s)", arg, ErrPreflightArg, strings.Join(PreflightArgs, ", --"))
		}
		if !hasValue {
			if i+1 == len(args) {
				return nil, fmt.Errorf("%q: %w: no value", arg, ErrPreflightArg)
			}
			i++
			value = args[i]
		}
		if value == "" || strings.HasPrefix(value, "-") {
			return nil, fmt.Errorf("%q: %w: the value %q", arg, ErrPreflightArg, value)
		}
	}
	return args, nil
}

// labHost is one of the lab's hosts as its SSH server sees it.
type labHost struct {
	name     string
	conf     string // its kvmguests.conf on disk
	info     string // its registration on disk
	confRepl *sshtest.Reply
	infoRepl *sshtest.Reply
}

// startHosts writes the other host's files and starts both hosts' SSH
// servers; root logs in to each with Host2Password.
func (l *Lab) startHosts() error {
	f := l.set
	conf, err := os.ReadFile(l.File)
	if err != nil {
		return err
	}
	if f.copyDiffers {
		conf = []byte(strings.Replace(string(conf), "guest22 cfhost2", "guest22 cfhost1", 1))
	}
	if err := os.MkdirAll(filepath.Dir(l.Host2File), 0o700); err != nil {
		return err
	}
	if err := safefile.CreateFile(l.Host2File, conf); err != nil {
		return err
	}
	// cfhost2 was registered as this host will be (step 2).
	if err := migratesetup.Register(context.Background(), l.Host2Info, migratesetup.HostInfo{CFName: Host2Name, IP: netip.MustParseAddr(Host2IP)}); err != nil {
		return err
	}
	flood := func(stdout, _ io.Writer) {
		chunk := []byte(strings.Repeat("\x1b[2J# flood\n", 2048))
		for {
			if _, err := stdout.Write(chunk); err != nil {
				return
			}
		}
	}
	h2 := &labHost{name: Host2Name, conf: l.Host2File, info: l.Host2Info}
	switch {
	case f.hostFloods:
		h2.confRepl = &sshtest.Reply{Stream: flood}
	case f.hostCatFails:
		h2.confRepl = &sshtest.Reply{Stderr: "cat: \x1b]0;owned\x07\x1b[31mInput/output error\n", ExitStatus: 1}
	}
	if f.hostinfoFloods {
		h2.infoRepl = &sshtest.Reply{Stream: flood}
	}
	l.Host2Password = []byte("host2-root-" + randomWord())
	for _, h := range []struct {
		h   *labHost
		ip  string
		srv **sshtest.Server
	}{{&labHost{name: HostName, conf: l.File, info: l.HostInfo}, HostIP, &l.Host1}, {h2, Host2IP, &l.Host2}} {
		s, err := sshtest.Start(sshtest.Config{
			Users:   map[string]sshtest.User{"root": {Password: string(l.Host2Password)}},
			Handler: l.hostHandler(h.h),
		})
		if err != nil {
			return err
		}
		*h.srv = s
		l.closers = append(l.closers, func() { s.Close() })
		l.Routes[h.ip+":22"] = s.Addr()
	}
	return nil
}

// hostHandler answers what preflight, sfkvm site and rotate --dry-run run
// on a host: cat of its files, sfkvm preflight, the lock script's check;
// true, false and echo; any other command is not found.
func (l *Lab) hostHandler(h *labHost) sshtest.Handler {
	return func(c sshtest.Command) sshtest.Reply {
		a := c.Args
		switch {
		case len(a) == 3 && a[0] == "cat" && a[1] == "--":
			return l.hostCat(h, a[2])
		case len(a) >= 3 && a[0] == SFKVM && a[1] == "preflight" && a[2] == "--format=json" && l.set.preflight != nil:
			return l.hostPreflight(h, a[3:], c.Stdin)
		case len(a) >= 6 && a[0] == "sh" && a[1] == "-c" && a[2] == conflock.AcquireScript && a[3] == "sh" && a[5] == "check":
			return l.hostLockCheck(h, a[4], a[6:])
		}
		return sshtest.Builtin(c)
	}
}

// hostCat answers cat -- path on host h. Each host keeps its files at its
// own place in the lab's folder, where real hosts keep them at the same
// path: a host answers for either host's path of a file with its own
// copy, read now. root's known_hosts is the lab's, on both hosts.
func (l *Lab) hostCat(h *labHost, path string) sshtest.Reply {
	var file string
	switch path {
	case l.File, l.Host2File:
		if h.confRepl != nil {
			return *h.confRepl
		}
		file = h.conf
	case l.HostInfo, l.Host2Info:
		if h.infoRepl != nil {
			return *h.infoRepl
		}
		file = h.info
	case l.KnownHosts:
		file = l.KnownHosts
	}
	var b []byte
	err := fs.ErrNotExist
	if file != "" {
		b, err = os.ReadFile(file)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return sshtest.Reply{Stderr: "cat: " + path + ": No such file or directory\n", ExitStatus: 1}
	case err != nil:
		return sshtest.Reply{Stderr: "cat: " + path + ": Input/output error\n", ExitStatus: 1}
	}
	return sshtest.Reply{Stdout: string(b)}
}

// hostPreflight runs the PreflightFunc as host h, with the arguments
// checked first.
func (l *Lab) hostPreflight(h *labHost, args []string, stdin io.Reader) sshtest.Reply {
	if _, err := CheckPreflightArgs(args); err != nil {
		return sshtest.Reply{Stderr: fmt.Sprintf("sfkvm preflight (the sfkvm lab's host %s): %v\n", h.name, err), ExitStatus: 2}
	}
	ctx, cancel := context.WithTimeout(l.ctx, PreflightTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := l.set.preflight(ctx, h.name, slices.Clone(args), stdin, &stdout, &stderr)
	return sshtest.Reply{Stdout: stdout.String(), Stderr: stderr.String(), ExitStatus: code}
}

// hostLockCheck answers what rotate --dry-run runs on each other host:
// conflock's lock script in its check mode (MODE check: it proves that
// the lock could be taken and the copy written, and prints the copy's
// SHA-256; it writes nothing but a temporary file it removes). The
// script is run as it is, by sh, on the host's own copy, with the
// caller's other arguments (the run that asks: RUN COMMAND HOST BOOT PID
// LEASE [TAKEOVER]), which it only compares; nothing else is run, and a
// file that is not the lab's kvmguests.conf is refused (exit 2).
func (l *Lab) hostLockCheck(h *labHost, path string, owner []string) sshtest.Reply {
	if path != l.File && path != l.Host2File {
		return sshtest.Reply{Stderr: fmt.Sprintf("%s: the sfkvm lab's host %s has only its kvmguests.conf\n", path, h.name), ExitStatus: conflock.ExitPath}
	}
	if len(owner) != 6 && len(owner) != 7 {
		return sshtest.Reply{Stderr: fmt.Sprintf("the lock script takes RUN COMMAND HOST BOOT PID LEASE [TAKEOVER], not %d arguments\n", len(owner)), ExitStatus: conflock.ExitPath}
	}
	ctx, cancel := context.WithTimeout(l.ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", conflock.AcquireScript, "sh", h.conf, "check"}, owner...)...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return sshtest.Reply{Stdout: stdout.String(), Stderr: stderr.String(), ExitStatus: max(ee.ExitCode(), 1)}
	case err != nil:
		return sshtest.Reply{Stderr: "sh: " + err.Error() + "\n", ExitStatus: 127}
	}
	return sshtest.Reply{Stdout: stdout.String(), Stderr: stderr.String()}
}
