package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/enroll"
	"github.com/sfkvm/sfkvm/internal/count"
	"github.com/sfkvm/sfkvm/internal/safefile"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/rpcstore"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/rotate"
	"github.com/sfkvm/sfkvm/site"
	"github.com/sfkvm/sfkvm/sshcheck"
)

func init() {
	commands["enroll"] = command{
		summary: "a guest (or a --guest-list of them) into the failover in one step: user and sudo rule, token, every host's kvmguests.conf, host keys, disk",
		run:     runEnroll,
	}
	commands["unenroll"] = command{
		summary: "a guest out of the failover: its line from every host's kvmguests.conf, its sudoers drop-in, the user if asked",
		run:     runUnenroll,
	}
}

const enrollSynopsis = `--guest-user NAME [--password-stdin | --generate FILE] [--key FILE --native | --sfcipher PATH] [--hosts HOST,...] [--guest-key-fingerprint SHA256:...] [--dry-run] [flags] GUEST_IP
       sfkvm enroll --guest-list FILE [--parallel N] [same flags]
Enrolls one guest in the host OS failover (F.2.2), or every guest of
--guest-list in one run (one guest_IP a line, then guest-user=, domain=,
cluster=, cfname=, host-cfname=, guest-key-fingerprint= as needed; see
"Many guests in one run" below), each step proven and reported: the
guest's host key (known here, or confirmed with --guest-key-fingerprint
or at a terminal; never trusted on first use silently); a login as the
administrator (--admin-user, root by default, by key or
--admin-password-file; a non-root one through sudo -n); the facts read,
not typed: cluster and CF node name from cftool -c and -l in the guest,
the domain by the guest's SMBIOS UUID among the libvirt domains of this
host (--connect) and, through sfkvm's own SSH, of every --hosts, the
host CF name from that host's registration (--hostinfo); --domain,
--cluster, --cfname and --host-cfname override. Then kvmguests.conf is
locked on every host (a second run is refused, naming the first) and its
copies must be identical; a line with the same guest-name, guest_IP or
cluster and CF name is refused. On the guest: useradd -m if the user is
missing, chpasswd with the password on stdin (never in argv), the drop-in
/etc/sudoers.d/sfkvm-USER (0440 root, USER ALL=(root) NOPASSWD: ALL, or
--sudo-commands) written to a temporary file, checked with visudo -cf and
renamed into place; a drop-in with another rule is refused, never
overwritten. A new login with the new password (and sudo -n) proves it;
any later failure before the files are written removes the user and the
drop-in this run made. The token is made (the vendor's sfcipher, or
--native --key); the guest's key goes into root's known_hosts on this
host (--known-hosts) and on every --hosts; every host's key (known here)
into the guest's root known_hosts (step 5), at the address of each host's
registration (--hostinfo, read on each host) or of --host-addresses. The line is
written on this host and every --hosts as rotate writes (compare and
swap, atomic, read back); a host left behind is named with the
sfkvm rotate --resume command that finishes it. The domain's host
information disk is set up where it runs (--restart stops and starts a
running guest, --force turning it off after --shutdown-timeout; never a
transient one), or the exact command is printed. A second run changes
nothing and says so. --dry-run shows every change and changes nothing.
It ends with sfkvm preflight --guest for the guest on this host and on
every --hosts (--sfkvm there, the password on its stdin): a row per host,
and what is left on each.
`

const unenrollSynopsis = `[-f FILE] [--hosts HOST,...] [--remove-user] [--dry-run] [flags] GUEST_NAME
Removes the guest's line from kvmguests.conf on this host and every
--hosts (locked, compare and swap, read back), then logs in to the guest
as the administrator and removes /etc/sudoers.d/sfkvm-USER if sfkvm
enroll wrote it, and the user (userdel -r) with --remove-user. Host keys
and the domain's host information disk are left (sfkvm migratesetup -d
removes the disk).
`

// hostFlags are the flags that reach the other hosts, shared by enroll
// and unenroll as rotate spells them.
type hostFlags struct {
	key                                                                   string // --key, for the resume command (the file holds sealed tokens)
	file, hosts, identity, hostUser, hostPasswordFile, sshPath, sshConfig string
	hostTimeout                                                           time.Duration
	hostKnownHosts                                                        *string
}

func addHostFlags(fs *flag.FlagSet) *hostFlags {
	h := &hostFlags{}
	fs.StringVar(&h.file, "f", kvmguests.DefaultPath, "this host's kvmguests.conf")
	fs.StringVar(&h.hosts, "hosts", "", "the other hosts, comma-separated; HOST=PATH for a copy at another path")
	fs.StringVar(&h.identity, "identity", "", "private key `file` for --hosts (default: ssh-agent's keys, then ~/.ssh/id_rsa, id_ecdsa, id_ed25519)")
	fs.StringVar(&h.hostUser, "host-user", "root", "user on the other hosts")
	fs.StringVar(&h.hostPasswordFile, "host-password-file", "", "root-only `file` whose first line is --host-user's password")
	fs.StringVar(&h.sshPath, "ssh", "", "reach the other hosts with this ssh `client` (root's ssh_config, keys and agent) instead of sfkvm's own")
	fs.StringVar(&h.sshConfig, "ssh-config", "", "ssh_config `FILE` for the system's ssh client (implies --ssh ssh)")
	fs.DurationVar(&h.hostTimeout, "host-timeout", rotate.DefaultHostTimeout, "bound on each command on another host")
	h.hostKnownHosts = hostKnownHostsFlag(fs)
	return h
}

// hostKnownHostsFile is the other hosts' known_hosts file of this run
// (see the function of that name).
func (h *hostFlags) hostKnownHostsFile(e *env, fs *flag.FlagSet, knownHosts string) string {
	return hostKnownHostsFile(e, fs.Name(), fs, *h.hostKnownHosts, knownHosts, h.hosts != "" && h.sshPath == "" && h.sshConfig == "")
}

// hostSession is what enroll and unenroll open before any change: the
// prober that checks the guests' keys (--known-hosts), and every host's
// copy of kvmguests.conf reached as rotate reaches it.
type hostSession struct {
	opts   sshcheck.Options
	prober *sshcheck.Prober
	// hostProber logs in to the hosts, whose keys hostKeysFiles hold
	// (nil: the guests' files, as before --host-known-hosts).
	hostProber    *sshcheck.Prober
	hostKeysFiles []string
	files         rotate.Plan
	targets       []sshcheck.Target
	wipe          func()
}

// open makes the prober and reaches the hosts; code is the exit code of
// err.
func (h *hostFlags) open(knownHosts, hostKnownHosts, key string) (*hostSession, int, error) {
	hs := &hostSession{wipe: func() {}}
	if knownHosts != "" {
		hs.opts.KnownHostsFiles = []string{knownHosts}
	}
	var err error
	if hs.prober, err = sshcheck.New(hs.opts); err != nil {
		return nil, knownHostsExit(err), err
	}
	// The hosts' keys are checked against their own file.
	hostOpts := hs.opts
	hostOpts.KnownHostsFiles = nil
	if hostKnownHosts != "" {
		hostOpts.KnownHostsFiles = []string{hostKnownHosts}
		hs.hostKeysFiles = []string{hostKnownHosts, sshcheck.GlobalKnownHosts}
	}
	if hs.hostProber, err = sshcheck.New(hostOpts); err != nil {
		return nil, knownHostsExit(err), fmt.Errorf("--host-known-hosts: %w", err)
	}
	h.key = key
	var code int
	hs.files, hs.targets, hs.wipe, code, err = h.files(hostKnownHosts, hs.hostProber)
	if err != nil {
		hs.wipe()
		return nil, code, err
	}
	return hs, exitOK, nil
}

// files builds the rotate.Plan of the hosts' copies, and the sfkvm
// targets of the hosts (nil with --ssh).
func (h *hostFlags) files(hostKnownHosts string, prober *sshcheck.Prober) (rotate.Plan, []sshcheck.Target, func(), int, error) {
	p := rotate.Plan{File: h.file, FileOptions: kvmguests.Options{AllowSealed: true}, HostTimeout: h.hostTimeout,
		ResumeCommand: resumeCommand(resumeFlags{file: h.file, key: h.key, hostKnownHosts: hostKnownHosts, identity: h.identity, hostUser: h.hostUser,
			hostPasswordFile: h.hostPasswordFile, ssh: h.sshPath, sshConfig: h.sshConfig, hostTimeout: h.hostTimeout})}
	wipe := func() {}
	for _, s := range splitList(h.hosts) {
		if name, path, _ := strings.Cut(s, "="); path != "" && !filepath.IsAbs(path) {
			return p, nil, wipe, exitUsage, fmt.Errorf("--hosts %s=%s: a path on the hosts must be absolute", name, path)
		}
	}
	var hostPW sshcheck.PasswordSource
	if h.hostPasswordFile != "" {
		pw, err := readSecretFile(h.hostPasswordFile)
		if err != nil {
			return p, nil, wipe, secretFileExit(err), fmt.Errorf("--host-password-file: %s", strings.TrimPrefix(err.Error(), "cipher: "))
		}
		wipe, hostPW = pw.Wipe, pw
	}
	keys, err := hostKeySource(h.identity, hostPW != nil)
	if err != nil {
		return p, nil, wipe, identityExit(err), fmt.Errorf("--identity: %v", err)
	}
	var targets []sshcheck.Target
	if h.hosts != "" {
		for _, s := range strings.Split(h.hosts, ",") {
			name, path, _ := strings.Cut(s, "=")
			if name == "" {
				return p, nil, wipe, exitUsage, errors.New("--hosts: an empty host name")
			}
			p.Hosts = append(p.Hosts, rotate.Host{Name: name, File: path})
			targets = append(targets, sshcheck.Target{Name: name, Address: name, User: h.hostUser, Password: hostPW, Keys: keys})
		}
	}
	if h.sshPath == "" && h.sshConfig == "" {
		p.Connect = rotate.SSHConnector(prober, targets)
		return p, targets, wipe, exitOK, nil
	}
	o := rotate.OpenSSH{Path: h.sshPath, Args: []string{"-o", "StrictHostKeyChecking=yes", "-l", h.hostUser}}
	if h.sshConfig != "" {
		o.Args = append([]string{"-F", h.sshConfig}, o.Args...)
	}
	p.Connect = o.Connector()
	return p, nil, wipe, exitOK, nil
}

func runEnroll(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "enroll", enrollSynopsis)
	hf := addHostFlags(fs)
	userName := fs.String("guest-user", "", "guest_user: the login `NAME` to make on the guest (step 1.2), or root")
	adminUser := fs.String("admin-user", "root", "the administrator who logs in to the guest the first time: root, or a user with sudo -n")
	adminIdentity := fs.String("admin-identity", "", "private key `file` of --admin-user (default: ssh-agent's keys, then ~/.ssh/id_*)")
	adminPasswordFile := fs.String("admin-password-file", "", "root-only `file` whose first line is --admin-user's password (instead of a key)")
	passwordStdin := fs.Bool("password-stdin", false, "read the new password as one line from stdin")
	generate := fs.String("generate", "", "generate the new password and write it to this new root-only `FILE` first (with --guest-list: one per guest, a \"guest_IP password\" line each)")
	keyFile := fs.String("key", "", "key `FILE` of sfkvm's sealed tokens (with --native)")
	native := fs.Bool("native", false, "make a sealed token with --key instead of running the vendor's sfcipher")
	sfcipherPath := fs.String("sfcipher", "", "the vendor's sfcipher `PATH` (default: /opt/SMAW/bin, /opt/SMAW/SMAWsf/bin, then PATH)")
	sudoCommands := fs.String("sudo-commands", "", "narrow the sudo rule to these commands, comma-separated absolute paths (default: ALL, as step 1.2 asks)")
	domain := fs.String("domain", "", "the libvirt domain `NAME` (default: found by the guest's SMBIOS UUID)")
	cluster := fs.String("cluster", "", "the guest's cluster `NAME` (default: cftool -c in the guest)")
	cfname := fs.String("cfname", "", "the guest's CF node `NAME` (default: cftool -l in the guest)")
	hostCFName := fs.String("host-cfname", "", "CF node `NAME` of the host that runs the guest (default: its registration)")
	cftool := fs.String("cftool", "", "`path` of cftool in the guest (default /opt/SMAW/bin/cftool)")
	fingerprint := fs.String("guest-key-fingerprint", "", "the guest's host key fingerprint `SHA256:...`, checked on its console: confirms a key that known_hosts does not hold")
	knownHosts := fs.String("known-hosts", "", "known_hosts `file` of the guests' keys, and of the other hosts' with --hosts (default root's ~/.ssh/known_hosts); it receives the guest's key")
	port := fs.Int("port", 22, "SSH port of the guests: the one this run logs in to, and the one its preflight checks")
	hostAddresses := fs.String("host-addresses", "", "every host's `ADDRESS`[:PORT] as the guest reaches it, comma-separated: their keys (known here) go into the guest's root known_hosts (step 5); default: each host's registered address (its --hostinfo)")
	uri := fs.String("connect", "qemu:///system", "libvirt connection `URI` on this host (and, through sfkvm's own SSH, on --hosts) for the domain lookup")
	hostinfo := fs.String("hostinfo", migratesetup.DefaultPath, "the host information file, the same `PATH` on every host: the hosts' CF names, and the guest's disk")
	restart := fs.Bool("restart", false, "stop and start the running guest now to give it the host information disk")
	force := fs.Bool("force", false, "with --restart: force a guest off when it has not shut down in time")
	shutdownTimeout := fs.Duration("shutdown-timeout", 3*time.Minute, "with --restart: how long to wait for the guest to shut down (ACPI)")
	noPreflight := fs.Bool("no-preflight", false, "do not end with preflight for the guest on every host (the report then says to run it)")
	sfkvmPath := fs.String("sfkvm", site.DefaultSFKVM, "the sfkvm program on the hosts (`path`), for the guest's preflight there")
	dryRun := fs.Bool("dry-run", false, "show every change (the kvmguests.conf diff, tokens as fingerprints; the sudoers rule; the keys) and change nothing")
	timeout := fs.Duration("timeout", 10*time.Minute, "bound on the whole run (the undo has its own 2 minutes)")
	guestList := fs.String("guest-list", "", "enroll every guest of this `FILE` in one run: one a line, guest_IP then optional guest-user=, domain=, cluster=, cfname=, host-cfname=, guest-key-fingerprint=")
	parallel := fs.Int("parallel", enroll.DefaultParallel, "guests of --guest-list worked on at once")
	format := formatFlag(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	localPaths(fs, "f", "identity", "host-password-file", "ssh-config", "admin-identity", "admin-password-file",
		"generate", "key", "sfcipher", "known-hosts", "guest-list")
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(e.stderr, "sfkvm enroll: "+format+"\n", a...)
		return code
	}
	if err := remotePaths(fs, "hostinfo"); err != nil {
		return fail(exitUsage, "%v", err)
	}
	if strings.Contains(*sfkvmPath, "/") && !filepath.IsAbs(*sfkvmPath) {
		return fail(exitUsage, "--sfkvm %q: a path on the hosts must be absolute (or a name looked up in PATH there)", *sfkvmPath)
	}
	switch {
	case *cftool != "" && !filepath.IsAbs(*cftool):
		return fail(exitUsage, "--cftool %q: a path in the guest must be absolute", *cftool)
	case *guestList != "" && fs.NArg() != 0:
		return fail(exitUsage, "give the guests in --guest-list or one guest's address, not both (%q)", fs.Arg(0))
	case *guestList != "" && (*domain != "" || *cfname != ""):
		return fail(exitUsage, "--domain and --cfname name one guest: with --guest-list give domain= and cfname= on each line")
	case *parallel < 1:
		return fail(exitUsage, "--parallel must be positive")
	case *guestList == "" && fs.NArg() != 1:
		return fail(exitUsage, "give the guest's address (guest_IP), once, or --guest-list FILE")
	case *userName == "" && *guestList == "":
		return fail(exitUsage, "--guest-user NAME is needed: the login user to make (or root)")
	case *passwordStdin && *generate != "":
		return fail(exitUsage, "give --password-stdin or --generate, not both")
	case *native && *keyFile == "":
		return fail(exitUsage, "--native needs --key FILE")
	case *native && *sfcipherPath != "":
		return fail(exitUsage, "--native and --sfcipher do not go together")
	case *adminIdentity != "" && *adminPasswordFile != "":
		return fail(exitUsage, "give --admin-identity or --admin-password-file, not both")
	case *port < 1 || *port > 65535 || *timeout <= 0 || hf.hostTimeout <= 0:
		return fail(exitUsage, "--port, --timeout and --host-timeout must be positive")
	case (*force || *shutdownTimeout != 3*time.Minute) && !*restart:
		return fail(exitUsage, "--force and --shutdown-timeout only make sense with --restart")
	case *shutdownTimeout <= 0:
		return fail(exitUsage, "--shutdown-timeout must be positive")
	case *fingerprint != "" && !strings.HasPrefix(*fingerprint, "SHA256:"):
		return fail(exitUsage, "--guest-key-fingerprint: %q is not SHA256:... as ssh-keygen -lf prints it", *fingerprint)
	}
	var addr netip.Addr
	var members []enroll.Member
	var err error
	if *guestList != "" {
		if members, err = enroll.ReadGuestList(*guestList); err != nil {
			return fail(guestListExit(err), "--guest-list %v", err)
		}
		for i, m := range members {
			if m.User == "" && *userName == "" {
				return fail(exitUsage, "--guest-list %s: guest %d (%s) has no guest-user= and --guest-user is not given", *guestList, i+1, m.Address)
			}
		}
	} else if addr, err = netip.ParseAddr(fs.Arg(0)); err != nil {
		return fail(exitUsage, "%q is not an IP address (guest_IP)", fs.Arg(0))
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	hs, code, err := hf.open(*knownHosts, hf.hostKnownHostsFile(e, fs, *knownHosts), *keyFile)
	if err != nil {
		return fail(code, "%v", err)
	}
	defer hs.wipe()
	opts, files, targets := hs.opts, hs.files, hs.targets
	p := enroll.Plan{Address: addr, Port: *port, User: *userName, SSH: opts, HostKeysFiles: hs.hostKeysFiles, Files: files, Restart: *restart, DryRun: *dryRun,
		GuestKeyFingerprint: *fingerprint, CFTool: *cftool,
		Given: enroll.Facts{Domain: *domain, ClusterName: *cluster, CFName: *cfname, HostCFName: *hostCFName},
		Setup: migratesetup.Options{HostInfoPath: *hostinfo, Force: *force, ShutdownTimeout: *shutdownTimeout},
		Admin: enroll.Admin{User: *adminUser}}
	if *sudoCommands != "" {
		p.SudoCommands = strings.Split(*sudoCommands, ",")
	}
	for _, a := range splitList(*hostAddresses) {
		host, portText := a, "22"
		if ap, err := netip.ParseAddrPort(a); err == nil {
			host, portText = ap.Addr().String(), strconv.Itoa(int(ap.Port()))
		}
		pn, _ := strconv.Atoi(portText)
		p.GuestKnows = append(p.GuestKnows, sshcheck.Target{Name: a, Address: host, Port: pn})
	}
	// The administrator's login.
	wipeAdmin, code, err := adminLogin(&p.Admin, *adminPasswordFile, *adminIdentity)
	defer wipeAdmin()
	if err != nil {
		return fail(code, "%v", err)
	}
	// The token.
	var key *cipher.Key
	if *keyFile != "" {
		if key, err = cipher.LoadKey(*keyFile); err != nil {
			return fail(keyFileExit(err), "--key: %s", strings.TrimPrefix(err.Error(), "cipher: "))
		}
		defer key.Wipe()
		p.OpenToken = func(g kvmguests.Guest) (cipher.Secret, error) {
			return key.Open(g.Password.Reveal(), preflight.GuestContext(g))
		}
	}
	enc, code := tokenEncrypter(e, "enroll", *native, key, *keyFile != "", *sfcipherPath)
	if code != exitOK {
		return code
	}
	p.Encrypter = enc
	// The domain lookup: only what the flags do not give.
	var stores enroll.Stores
	needStores := *domain == "" || *hostCFName == ""
	if members != nil {
		needStores = false
		for _, m := range members {
			if m.Given.Domain == "" || m.Given.HostCFName == "" && *hostCFName == "" {
				needStores = true
			}
		}
	}
	if needStores {
		var closeAll func()
		stores, closeAll = enrollStores(ctx, e, *uri, *hostinfo, files, targets, hs.hostProber)
		defer closeAll()
		p.Locator = stores
	}
	// Preflight for the guest's line at the end, on this host and, over
	// the connection the run has, on every other host.
	if !*noPreflight {
		// Sealed tokens are opened there with the key at the same path;
		// else the password goes on the preflight's stdin.
		p.HostPreflight = &enroll.HostPreflight{Program: *sfkvmPath, Args: []string{"--connect", *uri}, Key: *keyFile}
		cfg := &preflight.Config{File: hf.file, FileOptions: kvmguests.Options{AllowSealed: *keyFile != ""},
			ProberOptions: opts, HostProber: hs.hostProber, GuestPort: *port, HostInfo: *hostinfo, Hosts: targets,
			StoreErr: errors.New("libvirt was not opened: --domain and --host-cfname were given")}
		for _, s := range stores {
			if s.Host == enroll.LocalHost {
				cfg.Store, cfg.StoreErr = s.Store, nil
			}
		}
		p.Preflight = cfg
	}
	// A key shown and accepted at a terminal (one question at a time).
	if in, ok := e.stdin.(*os.File); ok && isTerminal(in) && !*passwordStdin && *fingerprint == "" {
		var asking sync.Mutex
		p.ConfirmKey = func(_ context.Context, address, fp string) bool {
			asking.Lock()
			defer asking.Unlock()
			fmt.Fprintf(e.stderr, "sfkvm enroll: the guest %s offers the host key %s, which known_hosts does not hold.\nCompare it on the guest's console (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub). Is it the guest's? (yes/no) ", address, fp)
			line, _ := bufio.NewReader(in).ReadString('\n')
			return strings.TrimSpace(line) == "yes"
		}
	}
	if members != nil {
		return enrollBatch(ctx, e, enroll.Batch{Plan: p, Members: members, Parallel: *parallel}, *format, *generate, *passwordStdin)
	}
	// The new password.
	var pw cipher.Secret
	if *generate != "" {
		var code int
		if pw, code, err = generatedPassword(e, "enroll", *generate, *dryRun); err != nil {
			return fail(code, "%v", err)
		}
	} else {
		var code int
		if pw, code = readPassword(ctx, e, *passwordStdin); code != exitOK {
			return code
		}
	}
	defer pw.Wipe()
	p.Password = pw
	defer holdGrace()()
	return printEnroll(e, "enroll", *format, enroll.Run(ctx, p))
}

// enrollBatch runs --guest-list: the passwords (one generated per guest
// with --generate, else one for all), then enroll.RunBatch.
func enrollBatch(ctx context.Context, e *env, b enroll.Batch, format outputFormat, generate string, passwordStdin bool) int {
	if generate != "" {
		wipe, err := generateBatchPasswords(b.Members, generate, b.DryRun)
		if err != nil {
			code := exitNoPerm
			if !errors.Is(err, rotate.ErrExists) {
				code = secretFileExit(err)
			}
			fmt.Fprintf(e.stderr, "sfkvm enroll: --generate: %v\n", err)
			return code
		}
		defer wipe()
		if !b.DryRun {
			fmt.Fprintf(e.stderr, "sfkvm enroll: the new passwords are in %s (mode 0600), one \"guest_IP password\" a line\n", generate)
		}
	} else {
		pw, code := readPassword(ctx, e, passwordStdin)
		if code != exitOK {
			return code
		}
		defer pw.Wipe()
		b.Password = pw
	}
	defer holdGrace()()
	rep := enroll.RunBatch(ctx, b)
	if format == "json" {
		writeJSON(e.stdout, rep) // enroll.BatchSchema: BatchReport.MarshalJSON
	} else {
		rep.WriteText(e.stdout)
	}
	if !rep.Failed() {
		return exitOK
	}
	if rep.Err != nil {
		fmt.Fprintf(e.stderr, "sfkvm enroll: %s\n", strings.TrimPrefix(strings.TrimPrefix(rep.Err.Error(), "enroll: "), "rotate: "))
	}
	if rep.Mismatch() {
		fmt.Fprintf(e.stderr, "sfkvm enroll: MISMATCH: some hosts' kvmguests.conf differ; finish with: %s\n", rep.Resume)
		return exitFailed
	}
	var failed []string
	for _, g := range rep.Guests {
		if g.Failed() {
			failed = append(failed, g.Address)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(e.stderr, "sfkvm enroll: %d of %s not enrolled (%s): see their rows; fix each and run the same command again (the guests enrolled are left as they are)\n",
			len(failed), count.N(len(rep.Guests), "guest", "guests"), strings.Join(failed, " "))
	}
	return exitFailed
}

// guestListExit is the exit code of a --guest-list that could not be read.
func guestListExit(err error) int {
	switch {
	case errors.Is(err, os.ErrNotExist), errors.Is(err, safefile.ErrNotRegular):
		return exitNoInput
	case errors.Is(err, os.ErrPermission):
		return exitNoPerm
	}
	return exitConfig
}

// enrollStores opens libvirt on this host and, through sfkvm's own SSH,
// on every other host; a host whose libvirt cannot be reached is left
// out with a note on stderr (the lookup then says where it looked).
func enrollStores(ctx context.Context, e *env, uri, hostinfo string, _ rotate.Plan, targets []sshcheck.Target, prober *sshcheck.Prober) (enroll.Stores, func()) {
	var stores enroll.Stores
	var closers []func()
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	if s, err := rpcstore.Open(ctx, uri); err != nil {
		fmt.Fprintf(e.stderr, "sfkvm enroll: this host's libvirt (%s) is not read: %v\n", uri, err)
	} else {
		closers = append(closers, func() { s.Close() })
		hs := enroll.HostStore{Host: enroll.LocalHost, Store: s}
		if info, err := migratesetup.ReadFile(ctx, hostinfo); err == nil {
			hs.CFName = info.CFName
		}
		stores = append(stores, hs)
	}
	for _, t := range targets {
		c, err := prober.Dial(ctx, t)
		if err != nil {
			fmt.Fprintf(e.stderr, "sfkvm enroll: %s's libvirt is not read: %v\n", t.Name, err)
			continue
		}
		closers = append(closers, func() { c.Close() })
		s, err := rpcstore.OpenDialer(ctx, uri, c.DialUnix)
		if err != nil {
			fmt.Fprintf(e.stderr, "sfkvm enroll: %s's libvirt is not read: %v\n", t.Name, err)
			continue
		}
		closers = append(closers, func() { s.Close() })
		hs := enroll.HostStore{Host: t.Name, Store: s}
		if out, err := c.Output(ctx, "cat", "--", hostinfo); err == nil {
			if info, err := migratesetup.Parse(bytes.NewReader(out), t.Name+":"+hostinfo); err == nil {
				hs.CFName = info.CFName
			}
		}
		stores = append(stores, hs)
	}
	return stores, closeAll
}

func splitList(s string) []string {
	var out []string
	for _, w := range strings.Split(s, ",") {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, w)
		}
	}
	return out
}

func runUnenroll(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "unenroll", unenrollSynopsis)
	hf := addHostFlags(fs)
	adminUser := fs.String("admin-user", "root", "the administrator who logs in to the guest: root, or a user with sudo -n")
	adminIdentity := fs.String("admin-identity", "", "private key `file` of --admin-user (default: ssh-agent's keys, then ~/.ssh/id_*)")
	adminPasswordFile := fs.String("admin-password-file", "", "root-only `file` whose first line is --admin-user's password")
	knownHosts := fs.String("known-hosts", "", "known_hosts `file` of the guests' keys, and of the other hosts' with --hosts (default root's ~/.ssh/known_hosts)")
	port := fs.Int("port", 22, "SSH port of the guests: the one this run logs in to")
	keyFile := fs.String("key", "", "key `FILE` of sfkvm's sealed tokens, for the --resume command printed when a host is left behind")
	removeUser := fs.Bool("remove-user", false, "also remove guest_user from the guest (userdel -r); never root")
	dryRun := fs.Bool("dry-run", false, "show every change and change nothing")
	timeout := fs.Duration("timeout", 10*time.Minute, "bound on the whole run")
	format := formatFlag(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	localPaths(fs, "f", "identity", "host-password-file", "ssh-config", "admin-identity", "admin-password-file", "key", "known-hosts")
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(e.stderr, "sfkvm unenroll: "+format+"\n", a...)
		return code
	}
	switch {
	case fs.NArg() != 1:
		return fail(exitUsage, "give the guest's name (guest-name), once")
	case *adminIdentity != "" && *adminPasswordFile != "":
		return fail(exitUsage, "give --admin-identity or --admin-password-file, not both")
	case *port < 1 || *port > 65535 || *timeout <= 0 || hf.hostTimeout <= 0:
		return fail(exitUsage, "--port, --timeout and --host-timeout must be positive")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	hs, code, err := hf.open(*knownHosts, hf.hostKnownHostsFile(e, fs, *knownHosts), *keyFile)
	if err != nil {
		return fail(code, "%v", err)
	}
	defer hs.wipe()
	opts, files := hs.opts, hs.files
	p := enroll.RemovePlan{Guest: fs.Arg(0), Port: *port, SSH: opts, RemoveUser: *removeUser, Files: files, DryRun: *dryRun,
		Admin: enroll.Admin{User: *adminUser}}
	wipeAdmin, code, err := adminLogin(&p.Admin, *adminPasswordFile, *adminIdentity)
	defer wipeAdmin()
	if err != nil {
		return fail(code, "%v", err)
	}
	defer holdGrace()()
	return printEnroll(e, "unenroll", *format, enroll.Remove(ctx, p))
}

// printEnroll prints the report and returns the exit code.
func printEnroll(e *env, name string, format outputFormat, rep enroll.Report) int {
	if format == "json" {
		writeJSON(e.stdout, rep) // enroll.Schema or enroll.RemoveSchema: Report.MarshalJSON
	} else {
		rep.WriteText(e.stdout)
	}
	if rep.Err == nil && !rep.Failed() {
		return exitOK
	}
	if rep.Err != nil {
		msg := strings.TrimPrefix(strings.TrimPrefix(rep.Err.Error(), "enroll: "), "rotate: ")
		fmt.Fprintf(e.stderr, "sfkvm %s: %s\n", name, msg)
	}
	if rep.Mismatch() {
		fmt.Fprintf(e.stderr, "sfkvm %s: MISMATCH: some hosts' kvmguests.conf differ; finish with: %s\n", name, rep.Resume)
		return exitFailed
	}
	var pe *cipher.PolicyError
	switch {
	case errors.As(rep.Err, &pe), errors.Is(rep.Err, enroll.ErrDuplicate), errors.Is(rep.Err, enroll.ErrSudoersDiffers), errors.Is(rep.Err, enroll.ErrVisudo):
		return exitConfig
	case errors.Is(rep.Err, enroll.ErrPlan):
		return exitUsage
	case errors.Is(rep.Err, os.ErrNotExist):
		return exitNoInput
	}
	return exitFailed
}

// adminLogin sets how enroll and unenroll log in to the guest as its
// administrator: by the password of --admin-password-file, else by key
// (--admin-identity, or ssh-agent and the default identities). wipe
// forgets the password; code is the exit code when err is not nil.
func adminLogin(a *enroll.Admin, passwordFile, identity string) (wipe func(), code int, err error) {
	if passwordFile != "" {
		pw, err := readSecretFile(passwordFile)
		if err != nil {
			return func() {}, secretFileExit(err), fmt.Errorf("--admin-password-file: %s", strings.TrimPrefix(err.Error(), "cipher: "))
		}
		a.Password = pw
		return pw.Wipe, exitOK, nil
	}
	if a.Keys, err = hostKeySource(identity, false); err != nil {
		return func() {}, identityExit(err), fmt.Errorf("--admin-identity: %v", err)
	}
	return func() {}, exitOK, nil
}
