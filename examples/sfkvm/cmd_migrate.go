package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migrate"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/rpcstore"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/preflight/metrics"
	"github.com/sfkvm/sfkvm/sshcheck"
)

func init() {
	commands["migrate"] = command{
		summary: "move a running guest to another host, live: refused unless ready, --guard for clusters without the host OS failover function, verified",
		run:     runMigrate,
	}
}

// migrateFlags are the flags migrate and drill share.
type migrateFlags struct {
	file, keyFile, knownHosts, hostKnownHosts, hostUser, hostPasswordFile, identity, connect, hostinfo, stateDir, textfile, labRoutes *string
	migrateURI, listenAddress                                                                                                         *string
	noPerm, passwordStdin, allowV1, guard                                                                                             *bool
	port                                                                                                                              *int
	timeout, stall, maxDowntime, settle                                                                                               *time.Duration
	format                                                                                                                            *outputFormat
}

func addMigrateFlags(fs *flag.FlagSet) migrateFlags {
	return migrateFlags{
		file:             fs.String("f", kvmguests.DefaultPath, "the kvmguests.conf that lists the guest and its cluster's nodes"),
		noPerm:           fs.Bool("no-perm", false, "do not check the file's owner and mode (for a copy)"),
		keyFile:          fs.String("key", "", "key `file` of sfkvm's sealed tokens: the nodes' passwords come from the file's tokens"),
		passwordStdin:    fs.Bool("password-stdin", false, "read one password for every guest_user from the first line of stdin"),
		allowV1:          fs.Bool("allow-v1-tokens", false, "with --key, also open sealed tokens of version 1, which are not bound to their guest (each draws a warning to seal it again)"),
		knownHosts:       fs.String("known-hosts", "", "known_hosts `file` of the guests' keys (default root's ~/.ssh/known_hosts; /etc/ssh/ssh_known_hosts is also read)"),
		hostKnownHosts:   hostKnownHostsFlag(fs),
		migrateURI:       fs.String("migrate-uri", "", "where the destination's QEMU listens for the migration stream, as virsh migrate --migrateuri (tcp://ADDRESS[:PORT]; default: the destination's own host name, resolved there)"),
		listenAddress:    fs.String("listen-address", "", "the address the destination's QEMU binds for the stream, as virsh migrate --listen-address (default: libvirt's)"),
		port:             fs.Int("port", 22, "SSH port of the guests"),
		hostUser:         fs.String("host-user", "root", "user on the other hosts (it must be allowed to open their libvirt socket)"),
		hostPasswordFile: fs.String("host-password-file", "", "root-only `file` whose first line is --host-user's password, to log in to the other hosts by password instead of by key"),
		identity:         fs.String("identity", "", "private key `file` for the hosts (default: ssh-agent's keys, then ~/.ssh/id_rsa, id_ecdsa, id_ed25519)"),
		connect:          fs.String("connect", "qemu:///system", "libvirt URI of this host, and of the other hosts (reached through SSH)"),
		hostinfo:         fs.String("hostinfo", migratesetup.DefaultPath, "the host information file, the same path on every host"),
		stateDir:         fs.String("state-dir", migrate.DefaultStateDir, "`folder` of the cluster locks and of --guard's state for --recover (root's, closed to others)"),
		guard:            fs.Bool("guard", false, "for clusters without the host OS failover function: the manual's before and after steps on every node (sdtool -e, CLUSTER_TIMEOUT 600, cfset -r; then all restored)"),
		timeout:          fs.Duration("timeout", 10*time.Minute, "bound on the migration itself, then aborted (the guest stays where it was)"),
		stall:            fs.Duration("stall-timeout", time.Minute, "abort the migration when its remaining data has not shrunk for this long (0: never)"),
		maxDowntime:      fs.Duration("max-downtime", 0, "the longest pause of the guest libvirt may take to switch over (0: libvirt's default, 300ms)"),
		settle:           fs.Duration("settle", migrate.DefaultSettle, "after the migration, how long the guest may take to read its new host and the cluster to be whole again"),
		textfile:         fs.String("textfile", "", "also write the result as metrics for node_exporter's textfile collector, to sfkvm_migrate.prom in this `folder` (root's, not writable by others)"),
		labRoutes:        labRoutesFlag(fs),
		format:           formatFlag(fs),
	}
}

func runMigrate(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "migrate", "DOMAIN --to HOST [--guard] [--key FILE | --password-stdin] [flags] | --recover DOMAIN")
	f := addMigrateFlags(fs)
	to := fs.String("to", "", "the destination host, as this host reaches it over SSH (HOST or HOST:PORT)")
	recover := fs.Bool("recover", false, "finish the restore of a guarded migration that did not complete (a node that failed, a crash), from --state-dir")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	localPaths(fs, "f", "key", "known-hosts", "host-known-hosts", "host-password-file", "identity", "state-dir", "textfile", "lab-routes")
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(e.stderr, "sfkvm migrate: %s\n", fmt.Sprintf(format, a...))
		return code
	}
	switch {
	case fs.NArg() != 1:
		return fail(exitUsage, "give one DOMAIN (sfkvm migrate DOMAIN --to HOST)")
	case *recover && *to != "":
		return fail(exitUsage, "give --recover or --to, not both")
	case !*recover && *to == "":
		return fail(exitUsage, "give --to HOST: the destination")
	}
	p, cleanup, code := migratePlan(ctx, e, f, *recover)
	if code != exitOK {
		return code
	}
	defer cleanup()
	p.Domain, p.To = fs.Arg(0), *to
	if *recover {
		rep := migrate.Recover(ctx, p)
		return printMigrate(e, *f.format, rep)
	}
	line := &progressLine{w: e.stderr}
	p.Progress, p.Log = line.progress, line.log
	release := holdGrace() // the after steps run past the signal
	rep := migrate.Run(ctx, p)
	release()
	line.end()
	if *f.textfile != "" && !interrupted(ctx) {
		if err := writeMigrateMetrics(*f.textfile, []*migrate.Report{rep}, nil); err != nil {
			fmt.Fprintf(e.stderr, "sfkvm migrate: --textfile: %v\n", err)
		}
	}
	return printMigrate(e, *f.format, rep)
}

// printMigrate prints the report; exit 0 only when the guest moved and
// every check held.
func printMigrate(e *env, format outputFormat, rep *migrate.Report) int {
	if format == "json" {
		writeJSON(e.stdout, rep)
	} else {
		rep.WriteText(e.stdout)
	}
	if rep.Outcome == migrate.Restored || rep.OK() {
		return exitOK
	}
	return exitFailed
}

// migratePlan reads the file and the secrets and fills the hooks: this
// host's libvirt and registration, the other hosts' through SSH, the
// nodes' logins.
func migratePlan(ctx context.Context, e *env, f migrateFlags, recover bool) (p migrate.Plan, cleanup func(), code int) {
	fail := func(code int, format string, a ...any) (migrate.Plan, func(), int) {
		fmt.Fprintf(e.stderr, "%s: %s\n", e.name(), fmt.Sprintf(format, a...))
		return migrate.Plan{}, nil, code
	}
	switch {
	case *f.keyFile != "" && *f.passwordStdin:
		return fail(exitUsage, "give --key or --password-stdin, not both")
	case *f.keyFile == "" && !*f.passwordStdin:
		return fail(exitUsage, "give --key (sealed tokens) or --password-stdin: the nodes of the cluster must log in")
	case *f.identity != "" && *f.hostPasswordFile != "":
		return fail(exitUsage, "give --identity or --host-password-file, not both")
	case *f.allowV1 && *f.keyFile == "":
		return fail(exitUsage, "--allow-v1-tokens is for --key (sealed tokens in guest_passwd)")
	case *f.port < 1 || *f.port > 65535 || *f.timeout <= 0 || *f.stall < 0 || *f.maxDowntime < 0 || *f.settle <= 0:
		return fail(exitUsage, "--port, --timeout and --settle must be positive, --stall-timeout and --max-downtime not negative")
	}
	if err := migratesetup.CheckHostInfoPath(*f.hostinfo); err != nil {
		return fail(exitUsage, "--hostinfo: %v", err)
	}
	if *f.textfile != "" {
		tf, err := metrics.OpenTextfileDir(*f.textfile)
		if err != nil {
			return fail(textfileExit(err), "--textfile: %v", err)
		}
		tf.Close()
	}
	cfg, diags, err := kvmguests.ReadFile(*f.file, kvmguests.Options{SkipFileChecks: *f.noPerm, AllowSealed: *f.keyFile != ""})
	if err != nil {
		return fail(exitNoInput, "%v", err)
	}
	for _, d := range diags {
		fmt.Fprintln(e.stderr, d)
	}
	if code := checkExitCode(diags); code != exitOK {
		return fail(code, "%s has errors; fix them first (sfkvm check -f %s)", *f.file, *f.file)
	}
	var wipes []func()
	cleanup = func() {
		for _, w := range wipes {
			w()
		}
	}
	var passwords func(kvmguests.Guest) sshcheck.PasswordSource
	if *f.passwordStdin {
		pw, err := readSecret(ctx, e, e.stdin, "")
		if err != nil {
			return fail(exitNoInput, "--password-stdin: %s", strings.TrimPrefix(err.Error(), "cipher: "))
		}
		wipes = append(wipes, pw.Wipe)
		passwords = func(kvmguests.Guest) sshcheck.PasswordSource { return pw }
	} else {
		key, err := cipher.LoadKey(*f.keyFile)
		if err != nil {
			return fail(keyFileExit(err), "--key: %s", strings.TrimPrefix(err.Error(), "cipher: "))
		}
		wipes = append(wipes, key.Wipe)
		warn := &lockedWriter{w: e.stderr}
		opts := cipher.OpenOptions{AllowVersion1: *f.allowV1}
		passwords = func(g kvmguests.Guest) sshcheck.PasswordSource {
			return preflight.SealedPassword(key, g, opts, warn.println)
		}
	}
	var hostPW sshcheck.PasswordSource
	if *f.hostPasswordFile != "" && !recover {
		pw, err := readSecretFile(*f.hostPasswordFile)
		if err != nil {
			code := passwordInputExit(err)
			if errors.Is(err, cipher.ErrPasswordFileType) || errors.Is(err, cipher.ErrPasswordFileMode) ||
				errors.Is(err, cipher.ErrPasswordFileOwner) || errors.Is(err, iofs.ErrPermission) {
				code = secretFileExit(err)
			}
			cleanup()
			return fail(code, "--host-password-file: %s", strings.TrimPrefix(err.Error(), "cipher: "))
		}
		wipes = append(wipes, pw.Wipe)
		hostPW = pw
	}
	hostKeys, err := hostKeySource(*f.identity, hostPW != nil)
	if err != nil {
		cleanup()
		return fail(identityExit(err), "--identity: %v", err)
	}
	opts := sshcheck.Options{}
	if *f.knownHosts != "" {
		opts.KnownHostsFiles = []string{*f.knownHosts}
	}
	if code, err := useLabRoutes(*f.labRoutes, &opts); err != nil {
		cleanup()
		return fail(code, "--lab-routes: %v", err)
	}
	prober, err := sshcheck.New(opts)
	if err != nil {
		cleanup()
		return fail(knownHostsExit(err), "%v", err)
	}
	// The hosts' keys are checked against their own file.
	hostOpts := opts
	hostOpts.KnownHostsFiles = nil
	if *f.hostKnownHosts != "" { // (a new command: no --known-hosts of old to fall back on)
		hostOpts.KnownHostsFiles = []string{*f.hostKnownHosts}
	}
	hostProber, err := sshcheck.New(hostOpts)
	if err != nil {
		cleanup()
		return fail(knownHostsExit(err), "--host-known-hosts: %v", err)
	}
	targets := map[string]sshcheck.Target{}
	for _, t := range preflight.GuestTargets(cfg.Guests(), *f.port, passwords) {
		targets[t.Name] = t
	}
	here := thisHost(ctx, *f.hostinfo)
	open := func(ctx context.Context, host string) (*migrate.Host, error) {
		if host == here {
			return openHere(ctx, *f.connect, *f.hostinfo, host)
		}
		t := sshcheck.Target{Name: host, Address: host, User: *f.hostUser, Password: hostPW, Keys: hostKeys}
		if a, port, err := net.SplitHostPort(host); err == nil {
			if n, err := strconv.Atoi(port); err == nil && n > 0 && n < 65536 {
				t.Address, t.Port = a, n
			}
		}
		return openOther(ctx, hostProber, t, *f.connect, *f.hostinfo)
	}
	if migrateHostsHook != nil {
		here, open = migrateHostsHook()
	}
	p = migrate.Plan{
		From: here, Guests: cfg.Guests(), Guard: *f.guard, StateDir: *f.stateDir, HostInfo: *f.hostinfo, Settle: *f.settle,
		Migrate: migratesetup.MigrateOptions{Timeout: *f.timeout, NoProgress: *f.stall, MaxDowntime: *f.maxDowntime,
			URI: *f.migrateURI, ListenAddress: *f.listenAddress},
		Login: func(ctx context.Context, g kvmguests.Guest) (migrate.Node, error) {
			return prober.Dial(ctx, targets[g.Name])
		},
		Open: open,
	}
	return p, cleanup, exitOK
}

// migrateHostsHook, when set (by tests), names this host and opens the
// hosts instead of libvirt's daemons: fake libvirts that can migrate.
var migrateHostsHook func() (here string, open func(ctx context.Context, host string) (*migrate.Host, error))

// thisHost names this host in the report: its CF node name as registered,
// else its host name.
func thisHost(ctx context.Context, hostinfo string) string {
	if info, err := migratesetup.ReadFile(ctx, hostinfo); err == nil {
		return info.CFName
	}
	if h, err := os.Hostname(); err == nil {
		return h
	}
	return "localhost"
}

// migrator is a libvirt store that can migrate; ErrNoMigrate otherwise.
func migrator(s migratesetup.Store) (migratesetup.Migrator, error) {
	m, ok := s.(migratesetup.Migrator)
	if !ok {
		return nil, fmt.Errorf("this build's libvirt store (%T) cannot migrate", s)
	}
	return m, nil
}

// openHere is this host's libvirt and registration.
func openHere(ctx context.Context, uri, hostinfo, name string) (*migrate.Host, error) {
	s, closeStore, err := openStore(ctx, uri)
	if err != nil {
		return nil, err
	}
	m, err := migrator(s)
	if err != nil {
		closeStore()
		return nil, err
	}
	h := &migrate.Host{Name: name, Store: m, Close: closeStore}
	h.Info, h.InfoErr = migratesetup.ReadFile(ctx, hostinfo)
	return h, nil
}

// openOther is another host's libvirt, through SSH (its daemon's socket
// forwarded, rpcstore.OpenDialer), and its registration read there.
func openOther(ctx context.Context, p *sshcheck.Prober, t sshcheck.Target, uri, hostinfo string) (*migrate.Host, error) {
	c, err := p.Dial(ctx, t)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, libvirtConnectTimeout)
	defer cancel()
	s, err := rpcstore.OpenDialer(cctx, uri, c.DialUnix)
	if err != nil {
		c.Close()
		return nil, err
	}
	m, err := migrator(s)
	if err != nil {
		s.Close()
		c.Close()
		return nil, err
	}
	h := &migrate.Host{Name: t.Name, Store: m, Close: func() { s.Close(); c.Close() }}
	out, err := c.Output(ctx, "cat", "--", hostinfo)
	if err == nil {
		h.Info, err = migratesetup.Parse(bytes.NewReader(out), t.Name+":"+hostinfo)
	}
	h.InfoErr = err
	return h, nil
}

// progressLine prints the job's figures on stderr as `virsh migrate
// --verbose` does: "Migration: [ 42 %]", rewritten in place, and "[100 %]"
// when the migration ends well. The line belongs to the migration: with
// --guard the restore starts beside its end (libvirt's Finish) and logs
// its steps from another goroutine, and those do not end the line; the
// next migration, or end, does.
type progressLine struct {
	w         io.Writer
	mu        sync.Mutex
	open      bool // a figure is on the line and no newline yet
	migrating bool // between the steps "migrate" and "migrated"
}

func (l *progressLine) progress(pr migratesetup.MigrateProgress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	pct := uint64(0)
	if pr.DataTotal > 0 && pr.DataRemaining <= pr.DataTotal {
		pct = 100 - pr.DataRemaining*100/pr.DataTotal
	}
	fmt.Fprintf(l.w, "\rMigration: [%3d %%]", pct)
	l.open = true
}

// log is migrate.Plan's Log.
func (l *progressLine) log(step string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch step {
	case "migrate":
		l.endLocked()
		l.migrating = true
	case "migrated":
		if l.open {
			fmt.Fprint(l.w, "\rMigration: [100 %]")
		}
		l.endLocked()
		l.migrating = false
	default:
		if !l.migrating {
			l.endLocked()
		}
	}
}

// end ends the line after the run, whose migration may have failed
// midway (no "migrated"), before the report is printed.
func (l *progressLine) end() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.endLocked()
	l.migrating = false
}

func (l *progressLine) endLocked() {
	if l.open {
		fmt.Fprintln(l.w)
		l.open = false
	}
}
