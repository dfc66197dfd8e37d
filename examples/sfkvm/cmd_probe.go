package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/count"
	"github.com/sfkvm/sfkvm/internal/table"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/sshcheck"
	"golang.org/x/sys/unix"
)

func init() {
	commands["probe"] = command{
		summary: "log in to every guest like PRIMECLUSTER will: host key, password, sudo (steps 1.5, 1.2)",
		run:     runProbe,
	}
}

func runProbe(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "probe", "[-f FILE] [--port N] [--known-hosts FILE] [--trust] [--parallel N] [--timeout D] [--key FILE [--allow-v1-tokens] | --password-stdin] [--format=text|json]")
	file := fs.String("f", kvmguests.DefaultPath, "the kvmguests.conf whose guests to probe")
	port := fs.Int("port", 22, "SSH port of the guests")
	knownHosts := fs.String("known-hosts", "", "known_hosts `file` of the guests' keys, to check and, with --trust, to add to (default ~/.ssh/known_hosts; /etc/ssh/ssh_known_hosts is also read); neither it nor its folder may be a symlink, another user's, or writable by group or others")
	trust := fs.Bool("trust", false, "record unknown host keys (the \"yes\" of the first SSH login); changed keys are never replaced")
	parallel := fs.Int("parallel", sshcheck.DefaultParallel, "guests probed at once")
	timeout := fs.Duration("timeout", sshcheck.DefaultHandshakeTimeout, "deadline for connect, key exchange and login, per guest")
	keyFile := fs.String("key", "", "key `file` that opens sfkvm sealed tokens in guest_passwd (the file may then carry them)")
	passwordStdin := fs.Bool("password-stdin", false, "read one password for every guest from the first line of stdin")
	allowV1 := fs.Bool("allow-v1-tokens", false, "with --key, also open sealed tokens of version 1, which are not bound to their guest (each draws a warning to seal it again)")
	noPerm := fs.Bool("no-perm", false, "do not check the file's owner and mode (for a copy)")
	labRoutes := labRoutesFlag(fs)
	format := formatFlag(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	localPaths(fs, "known-hosts", "key", "lab-routes")
	usage := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "sfkvm probe: "+format+"\n", a...)
		return exitUsage
	}
	switch {
	case fs.NArg() > 0:
		return usage("unexpected argument %q%s", fs.Arg(0), useFileFlag(fs))
	case *allowV1 && *keyFile == "":
		return usage("--allow-v1-tokens is for --key (sealed tokens in guest_passwd)")
	case (*keyFile == "") == !*passwordStdin:
		return usage("give exactly one of --key FILE (sealed tokens in guest_passwd) and --password-stdin (one password for every guest_user)")
	case *port < 1 || *port > 65535:
		return usage("--port %d is not a port", *port)
	case *parallel < 1:
		return usage("--parallel must be at least 1")
	case *timeout <= 0:
		return usage("--timeout must be positive")
	}

	// The file is checked first: a configuration with errors is refused.
	cfg, diags, err := kvmguests.ReadFile(*file, kvmguests.Options{SkipFileChecks: *noPerm, AllowSealed: *keyFile != ""})
	if err != nil {
		fmt.Fprintf(e.stderr, "sfkvm probe: %v\n", err)
		return exitNoInput
	}
	for _, d := range diags {
		fmt.Fprintln(e.stderr, d)
	}
	if code := checkExitCode(diags); code != exitOK {
		fmt.Fprintf(e.stderr, "sfkvm probe: %s has errors; fix them first (sfkvm check -f %s)\n", *file, *file)
		return code
	}

	var passwords func(kvmguests.Guest) sshcheck.PasswordSource
	if *passwordStdin {
		pw, err := readSecret(ctx, e, e.stdin, "")
		if err != nil {
			fmt.Fprintf(e.stderr, "sfkvm probe: --password-stdin: %s\n", strings.TrimPrefix(err.Error(), "cipher: "))
			return exitNoInput
		}
		defer pw.Wipe()
		passwords = func(kvmguests.Guest) sshcheck.PasswordSource { return pw }
	} else {
		key, err := cipher.LoadKey(*keyFile)
		if err != nil {
			fmt.Fprintf(e.stderr, "sfkvm probe: --key: %s\n", strings.TrimPrefix(err.Error(), "cipher: "))
			return keyFileExit(err)
		}
		defer key.Wipe()
		warn := &lockedWriter{w: e.stderr}
		opts := cipher.OpenOptions{AllowVersion1: *allowV1}
		passwords = func(g kvmguests.Guest) sshcheck.PasswordSource {
			return preflight.SealedPassword(key, g, opts, warn.println)
		}
	}

	targets := preflight.GuestTargets(cfg.Guests(), *port, passwords)
	// The deadline bounds the TCP connect too: a guest whose address drops
	// packets costs one --timeout, like one that accepts and never speaks.
	opts := sshcheck.Options{Parallel: *parallel, DialTimeout: *timeout, HandshakeTimeout: *timeout}
	if *knownHosts != "" {
		opts.KnownHostsFiles = []string{*knownHosts}
	}
	if *trust {
		opts.HostKeyPolicy = sshcheck.TrustUnknown
	}
	if code, err := useLabRoutes(*labRoutes, &opts); err != nil {
		fmt.Fprintf(e.stderr, "sfkvm probe: --lab-routes: %v\n", err)
		return code
	}
	if isTerminal(e.stderr) {
		opts.Progress = func(done, total int, r sshcheck.Result) {
			fmt.Fprintf(e.stderr, "\rprobe: %d/%d done", done, total)
			if done == total {
				fmt.Fprintln(e.stderr)
			}
		}
	}
	p, err := sshcheck.New(opts)
	if err != nil {
		fmt.Fprintf(e.stderr, "sfkvm probe: %v\n", err)
		return knownHostsExit(err)
	}
	results := p.ProbeAll(ctx, targets)
	return printProbe(e, *file, *format, results)
}

func printProbe(e *env, file string, format outputFormat, results []sshcheck.Result) int {
	rep := sshcheck.NewProbeReport(file, results)
	code := exitOK
	if rep.Failed > 0 {
		code = exitFailed
	}
	if format == "json" {
		if err := writeJSON(e.stdout, rep); err != nil {
			return exitFailed
		}
		return code
	}
	writeProbeText(e.stdout, e.stderr, rep)
	return code
}

// writeProbeText prints one line per guest and the counts on stdout, and
// each guest's hint and key-removal command on stderr. Every cell and
// every name on stderr goes through table.Cell: guest names and users come
// from kvmguests.conf, reasons partly from the guest.
func writeProbeText(stdout, stderr io.Writer, rep sshcheck.ProbeReport) {
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for _, g := range rep.Guests {
		verdict := "ok"
		if !g.OK {
			verdict = "FAIL"
		}
		name := table.Cell(g.Name)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, table.Cell(g.Address), table.Cell(g.User), verdict, table.Cell(g.Reason))
		if g.Hint != "" {
			fmt.Fprintf(stderr, "%s: hint: %s\n", name, table.Cell(g.Hint))
		}
		if g.RemoveCommand != "" {
			fmt.Fprintf(stderr, "%s: after checking the new key on the guest's console: %s\n", name, table.Cell(g.RemoveCommand))
		}
	}
	tw.Flush()
	fmt.Fprintf(stdout, "probe: %s, %d ok, %d failed\n", count.N(len(rep.Guests), "guest", "guests"), rep.OK, rep.Failed)
}

// knownHostsExit is the exit code for known_hosts that cannot be used: a
// symbolic link, another owner or a mode open to others is a matter of
// permissions (77), anything else an unreadable input (66).
func knownHostsExit(err error) int {
	if errors.Is(err, sshcheck.ErrUnsafeFile) {
		return exitNoPerm
	}
	return exitNoInput
}

// lockedWriter serialises the lines that concurrent probes print.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) println(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintln(l.w, s)
}

// isTerminal reports whether w is a terminal, for progress output.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
