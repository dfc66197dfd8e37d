package main

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"slices"
	"strings"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/safefile"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/preflight/metrics"
	"github.com/sfkvm/sfkvm/sdfacility"
	"github.com/sfkvm/sfkvm/sshcheck"
)

func init() {
	commands["preflight"] = command{
		summary: "check the whole procedure at once: one row per step and target",
		run:     runPreflight,
	}
}

func runPreflight(ctx context.Context, e *env, args []string) int {
	// A monitoring plugin answers UNKNOWN (3) for whatever keeps it from
	// checking, usage errors included: known before the flags are parsed.
	plugin := slices.ContainsFunc(args, func(a string) bool {
		return a == "--nagios" || a == "-nagios" || a == "--nagios=true" || a == "-nagios=true"
	})
	fs := newFlags(e, "preflight", "[-f FILE] [--key FILE [--allow-v1-tokens] | --password-stdin] [--hosts ADDR,...] [--textfile DIR] [--nagios] [flags]")
	file := fs.String("f", kvmguests.DefaultPath, "the kvmguests.conf to check")
	noPerm := fs.Bool("no-perm", false, "do not check the file's owner and mode (for a copy)")
	keyFile := fs.String("key", "", "key `file` of sfkvm's sealed tokens: the guests' passwords come from the file's tokens")
	passwordStdin := fs.Bool("password-stdin", false, "read one password for every guest_user from the first line of stdin")
	allowV1 := fs.Bool("allow-v1-tokens", false, "with --key, also open sealed tokens of version 1, which are not bound to their guest (each draws a warning to seal it again)")
	knownHosts := fs.String("known-hosts", "", "known_hosts `file` of the guests' keys (default root's ~/.ssh/known_hosts; /etc/ssh/ssh_known_hosts is also read)")
	hostKnownHosts := hostKnownHostsFlag(fs)
	port := fs.Int("port", 22, "SSH port of the guests")
	guest := fs.String("guest", "", "check only this guest (its guest-name): the file's other guests are not logged in to (the file's and this host's checks run as ever)")
	hosts := fs.String("hosts", "", "the other hosts, comma-separated, as this host reaches them over SSH")
	hostUser := fs.String("host-user", "root", "user on the other hosts")
	hostPasswordFile := fs.String("host-password-file", "", "root-only `file` whose first line is --host-user's password, to log in to --hosts by password instead of by key")
	identity := fs.String("identity", "", "private key `file` for --hosts (default: ssh-agent's keys, then ~/.ssh/id_rsa, id_ecdsa, id_ed25519)")
	connect := fs.String("connect", "qemu:///system", "libvirt URI of this host")
	hostinfo := fs.String("hostinfo", migratesetup.DefaultPath, "this host's host information file (what migratesetup -c wrote)")
	sdtool := fs.String("sdtool", sdfacility.DefaultSDTool, "sdtool `path`")
	cftool := fs.String("cftool", sdfacility.DefaultCFTool, "cftool `path` on this host")
	sfkvmtool := fs.String("sfkvmtool", preflight.DefaultVendorChecker, "the vendor's checker, run beside sfkvm's when it exists")
	parallel := fs.Int("parallel", preflight.DefaultParallel, "checks at once")
	warnDays := fs.Int("password-warn-days", sshcheck.DefaultWarnDays, "WARN when a guest password expires within this many `days`")
	timeout := fs.Duration("timeout", 2*time.Minute, "bound on the whole run")
	textfile := fs.String("textfile", "", "also write the result as metrics for node_exporter's textfile collector, to "+metrics.FileName+" in this `folder` (root's, not writable by others)")
	labRoutes := labRoutesFlag(fs)
	nagios := fs.Bool("nagios", false, "print one status line with performance data and exit 0, 1, 2 or 3 (OK, WARNING, CRITICAL, UNKNOWN), as a monitoring plugin")
	format := formatFlag(fs)
	if code, ok := parseFlags(fs, args); !ok {
		if plugin {
			code, _ = preflight.WritePluginUnknown(e.stdout, "usage: see sfkvm preflight --help")
		}
		return code
	}
	localPaths(fs, "f", "key", "known-hosts", "host-known-hosts", "host-password-file", "identity", "sdtool", "cftool", "sfkvmtool", "textfile", "lab-routes")
	plugin = *nagios
	fail := func(code int, format string, a ...any) int {
		msg := fmt.Sprintf(format, a...)
		fmt.Fprintf(e.stderr, "sfkvm preflight: %s\n", msg)
		if plugin {
			code, _ = preflight.WritePluginUnknown(e.stdout, msg)
		}
		return code
	}
	// The host information file is opened by QEMU by its name, the same
	// on every host: migratesetup refuses a relative one, and so does
	// preflight, which compares it with the guests' disks.
	if err := migratesetup.CheckHostInfoPath(*hostinfo); err != nil {
		return fail(exitUsage, "--hostinfo: %v", err)
	}
	switch {
	case fs.NArg() > 0:
		return fail(exitUsage, "unexpected argument %q", fs.Arg(0))
	case *keyFile != "" && *passwordStdin:
		return fail(exitUsage, "give --key or --password-stdin, not both")
	case *identity != "" && *hostPasswordFile != "":
		return fail(exitUsage, "give --identity or --host-password-file, not both")
	case *allowV1 && *keyFile == "":
		return fail(exitUsage, "--allow-v1-tokens is for --key (sealed tokens in guest_passwd)")
	case *parallel < 1 || *timeout <= 0 || *port < 1 || *port > 65535 || *warnDays < 1:
		return fail(exitUsage, "--parallel, --timeout, --port and --password-warn-days must be positive")
	case plugin && *format == "json":
		return fail(exitUsage, "give --nagios or --format=json, not both")
	}
	for _, t := range []struct {
		name string
		path *string
	}{{"sdtool", sdtool}, {"cftool", cftool}, {"sfkvmtool", sfkvmtool}} {
		p, err := toolPath(t.name, *t.path)
		if err != nil {
			return fail(exitUsage, "%v", err)
		}
		*t.path = p
	}
	// The textfile's folder is checked before the run, which takes
	// minutes: a wrong one is told at once.
	var tf *metrics.TextfileDir
	var previous metrics.Previous
	if *textfile != "" {
		var err error
		if tf, err = metrics.OpenTextfileDir(*textfile); err != nil {
			return fail(textfileExit(err), "--textfile: %v", err)
		}
		defer tf.Close()
		if previous, err = tf.ReadPrevious(); err != nil {
			// The last run's file is only a baseline: conf.changed SKIPs.
			fmt.Fprintf(e.stderr, "sfkvm preflight: warning: --textfile: the last run's metrics: %v\n", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	cfg := preflight.Config{
		File: *file, FileOptions: kvmguests.Options{SkipFileChecks: *noPerm},
		GuestPort: *port, Guest: *guest, SDTool: *sdtool, CFTool: *cftool, VendorChecker: *sfkvmtool,
		HostInfo: *hostinfo, Parallel: *parallel, PasswordWarnDays: *warnDays,
		PreviousConfSHA256: previous.ConfSHA256,
	}
	switch {
	case *keyFile != "":
		key, err := cipher.LoadKey(*keyFile)
		if err != nil {
			return fail(keyFileExit(err), "--key: %v", err)
		}
		defer key.Wipe()
		cfg.FileOptions.AllowSealed = true
		warn := &lockedWriter{w: e.stderr}
		opts := cipher.OpenOptions{AllowVersion1: *allowV1}
		cfg.Password = func(g kvmguests.Guest) sshcheck.PasswordSource {
			return preflight.SealedPassword(key, g, opts, warn.println)
		}
	case *passwordStdin:
		pw, err := readSecret(ctx, e, e.stdin, "")
		if err != nil {
			return fail(exitNoInput, "--password-stdin: %s", strings.TrimPrefix(err.Error(), "cipher: "))
		}
		defer pw.Wipe()
		cfg.Password = func(kvmguests.Guest) sshcheck.PasswordSource { return pw }
	}
	if *hosts != "" {
		hostKeys, hostPW, wipe, code, err := hostCredentials(*identity, *hostPasswordFile)
		if err != nil {
			return fail(code, "%v", err)
		}
		defer wipe()
		for _, addr := range strings.Split(*hosts, ",") {
			cfg.Hosts = append(cfg.Hosts, sshcheck.Target{Name: addr, Address: addr, User: *hostUser, Password: hostPW, Keys: hostKeys})
		}
	}
	opts := sshcheck.Options{Parallel: *parallel}
	if *knownHosts != "" {
		opts.KnownHostsFiles = []string{*knownHosts}
	}
	if code, err := useLabRoutes(*labRoutes, &opts); err != nil {
		return fail(code, "--lab-routes: %v", err)
	}
	p, err := sshcheck.New(opts)
	if err != nil {
		return fail(knownHostsExit(err), "%v", err)
	}
	cfg.Prober = p
	if *hosts != "" {
		// The hosts' keys are checked against their own file.
		hostOpts := opts
		hostOpts.KnownHostsFiles = nil
		if f := hostKnownHostsFile(e, "preflight", fs, *hostKnownHosts, *knownHosts, true); f != "" {
			hostOpts.KnownHostsFiles = []string{f}
		}
		if cfg.HostProber, err = sshcheck.New(hostOpts); err != nil {
			return fail(knownHostsExit(err), "--host-known-hosts: %v", err)
		}
	}
	store, closeStore, err := openStore(ctx, *connect)
	if err != nil {
		cfg.StoreErr = err
	} else {
		defer closeStore()
		cfg.Store = store
	}
	rep := preflight.Run(ctx, cfg)
	// A run cut short by a signal (systemd stopping the unit) would write
	// a FAIL for every check it did not finish: the last whole run's
	// metrics stay, and go stale if no run finishes.
	if tf != nil && !interrupted(ctx) {
		if err := tf.Write(rep); err != nil {
			return fail(textfileWriteExit(err), "--textfile: %v", err)
		}
	}
	if plugin {
		code, _ := rep.WritePlugin(e.stdout)
		return code
	}
	return printPreflight(e, *format, rep)
}

// textfileExit is the exit code for a textfile folder refused before the
// run: 2 for a relative path (made absolute before: localPaths), 66 for a
// missing one, 77 for one that breaks
// a rule (a link, another owner, writable by others, not a folder) or
// cannot be opened.
func textfileExit(err error) int {
	switch {
	case errors.Is(err, safefile.ErrRelative):
		return exitUsage
	case errors.Is(err, iofs.ErrNotExist):
		return exitNoInput
	}
	return exitNoPerm
}

// textfileWriteExit is the exit code for a textfile that could not be
// written after the run: 77 when not permitted, else 69 (the folder's file
// system cannot take it: full, read-only).
func textfileWriteExit(err error) int {
	if errors.Is(err, iofs.ErrPermission) {
		return exitNoPerm
	}
	return exitUnavailable
}

// printPreflight prints the report as the package writes it; exit 1 when
// anything FAILs.
func printPreflight(e *env, format outputFormat, rep preflight.Report) int {
	code := exitOK
	if rep.Failed() {
		code = exitFailed
	}
	var err error
	if format == "json" {
		err = writeJSON(e.stdout, rep)
	} else {
		err = rep.WriteText(e.stdout)
	}
	if err != nil {
		return exitFailed
	}
	return code
}

// readSecretFile reads the password in the first line of a file that
// only its owner can read, so that a password never needs to be on a
// command line: cipher.ReadPasswordFile, the guarded open of every file
// that holds a secret (no symlink, FIFO or device; root's or the caller's;
// no group or other bits) and the reader of every password input.
func readSecretFile(path string) (cipher.Secret, error) { return cipher.ReadPasswordFile(path) }

// readHostPasswordFile reads --host-password-file, or says why not and
// with which exit code: 66 missing or unreadable, 65 no usable password,
// 77 (secretFileExit) a file of the wrong type, mode or owner.
func readHostPasswordFile(path string) (cipher.Secret, int, error) {
	pw, err := readSecretFile(path)
	if err != nil {
		code := passwordInputExit(err)
		if errors.Is(err, cipher.ErrPasswordFileType) || errors.Is(err, cipher.ErrPasswordFileMode) ||
			errors.Is(err, cipher.ErrPasswordFileOwner) || errors.Is(err, iofs.ErrPermission) {
			code = secretFileExit(err)
		}
		return pw, code, fmt.Errorf("--host-password-file: %s", strings.TrimPrefix(err.Error(), "cipher: "))
	}
	return pw, exitOK, nil
}
