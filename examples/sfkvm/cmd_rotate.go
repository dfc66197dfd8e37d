package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/rotate"
	"github.com/sfkvm/sfkvm/sshcheck"
)

func init() {
	commands["rotate"] = command{
		summary: "change guests' passwords and every host's kvmguests.conf together, proven by logins",
		run:     runRotate,
	}
}

const rotateSynopsis = `[-f FILE] [--guests NAME,...] [--hosts HOST,...] [--password-stdin | --generate FILE] [--key FILE [--native] | --old-password-file FILE] [--dry-run] [flags]
       sfkvm rotate --resume [-f FILE] --hosts HOST,... [--previous-sha256 SHA256] [flags]
Changes the password of guest_user on the chosen guests (default: every
guest of the file) and their guest_passwd tokens in kvmguests.conf on this
host and on every host of --hosts, in this order, each step proven:
the copies on the other hosts must equal this host's file; per guest, the
new token is made (the vendor's sfcipher, or --native --key: sfkvm's sealed
format), the current login is proven, the password is changed with
chpasswd (through sudo -n; the password on stdin, never in argv) and a
fresh login with it is proven; any failure puts the old password back and
proves it. Then this host's file and every other host's are replaced
atomically and read back. A host that cannot be written is named, with
each guest's token fingerprints, and the whole --resume command that
finishes the job is printed. Every copy is locked for the run (a second
run is refused, naming the first) and replaced only if it is still the
file the run read. --resume checks this host's file first and replaces
only copies that are the file before the rotation (--previous-sha256) or
differ from it in tokens only; any other copy is refused with the diff.
The new password is asked twice without echo, read as one line with
--password-stdin, or generated (--generate FILE: written to a new
root-only FILE first). The current password comes from the sealed tokens
(--key) or from --old-password-file. Root logs in to the other hosts by
key (ssh-agent, then root's default identities, or --identity FILE),
host keys checked against --known-hosts, or by password with
--host-password-file; --ssh or --ssh-config FILE use the system's ssh
client instead (BatchMode). HOST=PATH names a copy at another path.
`

func runRotate(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "rotate", rotateSynopsis)
	file := fs.String("f", kvmguests.DefaultPath, "this host's kvmguests.conf")
	guests := fs.String("guests", "", "the guest-names to rotate, comma-separated (default: all)")
	hosts := fs.String("hosts", "", "the other hosts, comma-separated; HOST=PATH for a copy at another path")
	passwordStdin := fs.Bool("password-stdin", false, "read the new password as one line from stdin")
	generate := fs.String("generate", "", "generate the new password and write it to this new root-only `FILE` first")
	keyFile := fs.String("key", "", "key `FILE` of sfkvm's sealed tokens: opens the current tokens (and seals the new ones with --native)")
	native := fs.Bool("native", false, "make sealed tokens with --key instead of running the vendor's sfcipher")
	sfcipherPath := fs.String("sfcipher", "", "the vendor's sfcipher `PATH` (default: /opt/SMAW/bin, /opt/SMAW/SMAWsf/bin, then PATH)")
	oldPasswordFile := fs.String("old-password-file", "", "root-only `FILE` whose first line is the guests' current password (for vendor tokens)")
	knownHosts := fs.String("known-hosts", "", "known_hosts `file` of the guests' keys (default root's ~/.ssh/known_hosts)")
	hostKnownHosts := hostKnownHostsFlag(fs)
	port := fs.Int("port", 22, "SSH port of the guests")
	identity := fs.String("identity", "", "private key `file` for --hosts (default: ssh-agent's keys, then ~/.ssh/id_rsa, id_ecdsa, id_ed25519)")
	hostUser := fs.String("host-user", "root", "user on the other hosts")
	hostPasswordFile := fs.String("host-password-file", "", "root-only `file` whose first line is --host-user's password (password login to the hosts instead of keys)")
	sshPath := fs.String("ssh", "", "reach the other hosts with this ssh `client` (root's ssh_config, keys and agent) instead of sfkvm's own")
	sshConfig := fs.String("ssh-config", "", "ssh_config `FILE` for the system's ssh client (implies --ssh ssh)")
	parallel := fs.Int("parallel", rotate.DefaultParallel, "guests (and hosts) at once")
	labRoutes := labRoutesFlag(fs)
	dryRun := fs.Bool("dry-run", false, "prove the logins and copies, make the tokens, change nothing")
	resume := fs.Bool("resume", false, "copy this host's file to the hosts whose copy differs, and read every copy back")
	timeout := fs.Duration("timeout", 10*time.Minute, "bound on the whole run (the rollback and the writes after this host's file have their own 2 minutes)")
	hostTimeout := fs.Duration("host-timeout", rotate.DefaultHostTimeout, "bound on each command on another host (its lock, its hash, its write, its read-back)")
	previous := fs.String("previous-sha256", "", "with --resume: the SHA-256 of the file before the rotation (the report's \"to finish\" line gives it); only copies that are that file are replaced")
	format := formatFlag(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	localPaths(fs, "f", "generate", "key", "sfcipher", "old-password-file", "known-hosts", "host-known-hosts", "identity", "host-password-file", "ssh-config", "lab-routes")
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(e.stderr, "sfkvm rotate: "+format+"\n", a...)
		return code
	}
	switch {
	case fs.NArg() > 0:
		return fail(exitUsage, "unexpected argument %q", fs.Arg(0))
	case *passwordStdin && *generate != "":
		return fail(exitUsage, "give --password-stdin or --generate, not both")
	case *native && *keyFile == "":
		return fail(exitUsage, "--native needs --key FILE")
	case *native && *sfcipherPath != "":
		return fail(exitUsage, "--native and --sfcipher do not go together")
	case *keyFile != "" && *oldPasswordFile != "":
		return fail(exitUsage, "give --key or --old-password-file, not both")
	case *identity != "" && *hostPasswordFile != "":
		return fail(exitUsage, "give --identity or --host-password-file, not both")
	case (*sshPath != "" || *sshConfig != "") && (*identity != "" || *hostPasswordFile != ""):
		return fail(exitUsage, "--ssh and --ssh-config use the system's ssh client, whose keys come from ssh_config: --identity and --host-password-file are for sfkvm's own")
	case *resume && *hosts == "":
		return fail(exitUsage, "--resume needs --hosts: the hosts whose copy to replace")
	case *parallel < 1 || *timeout <= 0 || *hostTimeout <= 0 || *port < 1 || *port > 65535:
		return fail(exitUsage, "--parallel, --timeout, --host-timeout and --port must be positive")
	case *previous != "" && !*resume:
		return fail(exitUsage, "--previous-sha256 goes with --resume")
	case *previous != "" && (len(*previous) != 64 || strings.Trim(*previous, "0123456789abcdef") != ""):
		return fail(exitUsage, "--previous-sha256: %q is not a SHA-256 in lowercase hex (64 digits)", *previous)
	}
	// (--ssh and --ssh-config check the hosts' keys as ssh_config says.)
	*hostKnownHosts = hostKnownHostsFile(e, "rotate", fs, *hostKnownHosts, *knownHosts, *hosts != "" && *sshPath == "" && *sshConfig == "")
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	p := rotate.Plan{File: *file, GuestPort: *port, Parallel: *parallel, DryRun: *dryRun,
		FileOptions: kvmguests.Options{AllowSealed: *keyFile != ""}, HostTimeout: *hostTimeout, Previous: *previous,
		ResumeCommand: resumeCommand(resumeFlags{file: *file, key: *keyFile, hostKnownHosts: *hostKnownHosts, identity: *identity,
			hostUser: *hostUser, hostPasswordFile: *hostPasswordFile, ssh: *sshPath, sshConfig: *sshConfig, hostTimeout: *hostTimeout})}
	if *guests != "" {
		p.Guests = strings.Split(*guests, ",")
	}
	// The other hosts.
	var targets []sshcheck.Target
	var hostPW sshcheck.PasswordSource
	if *hostPasswordFile != "" {
		pw, err := readSecretFile(*hostPasswordFile)
		if err != nil {
			return fail(secretFileExit(err), "--host-password-file: %s", strings.TrimPrefix(err.Error(), "cipher: "))
		}
		defer pw.Wipe()
		hostPW = pw
	}
	hostKeys, err := hostKeySource(*identity, hostPW != nil)
	if err != nil {
		return fail(identityExit(err), "--identity: %v", err)
	}
	if *hosts != "" {
		for _, h := range strings.Split(*hosts, ",") {
			name, path, _ := strings.Cut(h, "=")
			if name == "" {
				return fail(exitUsage, "--hosts: an empty host name")
			}
			if path != "" && !filepath.IsAbs(path) {
				return fail(exitUsage, "--hosts %s=%s: a path on the hosts must be absolute", name, path)
			}
			p.Hosts = append(p.Hosts, rotate.Host{Name: name, File: path})
			targets = append(targets, sshcheck.Target{Name: name, Address: name, User: *hostUser, Password: hostPW, Keys: hostKeys})
		}
	}
	opts := sshcheck.Options{Parallel: *parallel}
	if *knownHosts != "" {
		opts.KnownHostsFiles = []string{*knownHosts}
	}
	if code, err := useLabRoutes(*labRoutes, &opts); err != nil {
		return fail(code, "--lab-routes: %v", err)
	}
	prober, err := sshcheck.New(opts)
	if err != nil {
		return fail(knownHostsExit(err), "%v", err)
	}
	p.Prober = prober
	if *sshPath == "" && *sshConfig == "" {
		// The hosts' keys are checked against their own file.
		hostOpts := opts
		hostOpts.KnownHostsFiles = nil
		if *hostKnownHosts != "" {
			hostOpts.KnownHostsFiles = []string{*hostKnownHosts}
		}
		hostProber, err := sshcheck.New(hostOpts)
		if err != nil {
			return fail(knownHostsExit(err), "--host-known-hosts: %v", err)
		}
		p.Connect = rotate.SSHConnector(hostProber, targets) // by key, or by password with --host-password-file
	} else {
		o := rotate.OpenSSH{Path: *sshPath, Args: []string{"-o", "StrictHostKeyChecking=yes", "-l", *hostUser}}
		if *sshConfig != "" {
			o.Args = append([]string{"-F", *sshConfig}, o.Args...)
		}
		p.Connect = o.Connector()
	}
	if *resume {
		defer holdGrace()()
		return printRotate(e, *format, rotate.Retry(ctx, p))
	}

	// The current password, and the new tokens.
	var key *cipher.Key
	if *keyFile != "" {
		if key, err = cipher.LoadKey(*keyFile); err != nil {
			return fail(keyFileExit(err), "--key: %s", strings.TrimPrefix(err.Error(), "cipher: "))
		}
		defer key.Wipe()
	}
	switch {
	case key != nil:
		warn := &lockedWriter{w: e.stderr}
		p.OldPassword = func(g kvmguests.Guest) sshcheck.PasswordSource {
			return preflight.SealedPassword(key, g, cipher.OpenOptions{}, warn.println)
		}
	case *oldPasswordFile != "":
		pw, err := readSecretFile(*oldPasswordFile)
		if err != nil {
			return fail(secretFileExit(err), "--old-password-file: %s", strings.TrimPrefix(err.Error(), "cipher: "))
		}
		defer pw.Wipe()
		p.OldPassword = func(kvmguests.Guest) sshcheck.PasswordSource { return pw }
	default:
		return fail(exitUsage, "the guests' current password is needed to prove the login and to put it back on failure: give --key (sealed tokens) or --old-password-file FILE")
	}
	enc, code := tokenEncrypter(e, "rotate", *native, key, *keyFile != "", *sfcipherPath)
	if code != exitOK {
		return code
	}
	p.Encrypter = enc

	// The new password.
	var pw cipher.Secret
	switch {
	case *generate != "":
		var code int
		if pw, code, err = generatedPassword(e, "rotate", *generate, *dryRun); err != nil {
			return fail(code, "%v", err)
		}
	default:
		var code int
		if pw, code = readPassword(ctx, e, *passwordStdin); code != exitOK {
			return code
		}
	}
	defer pw.Wipe()
	p.NewPassword = pw
	// A signal cancels the run, which then puts passwords back or finishes
	// the hosts (within rotate.DefaultCleanupTimeout) and reports: the
	// grace period after a signal must not end it before the report.
	defer holdGrace()()
	return printRotate(e, *format, rotate.Run(ctx, p))
}

// printRotate prints the report; exit 1 when anything failed, with a loud
// last line on stderr when a guest's password and a host's file disagree.
func printRotate(e *env, format outputFormat, rep rotate.Report) int {
	if format == "json" {
		writeJSON(e.stdout, rep)
	} else {
		rep.WriteText(e.stdout)
	}
	switch {
	case rep.Err != nil:
		fmt.Fprintf(e.stderr, "sfkvm rotate: %s; nothing was changed\n", strings.TrimPrefix(rep.Err.Error(), "rotate: "))
		var pe *cipher.PolicyError
		switch {
		case errors.As(rep.Err, &pe), errors.Is(rep.Err, rotate.ErrUnknownGuest):
			return exitConfig
		case errors.Is(rep.Err, os.ErrNotExist):
			return exitNoInput
		}
		return exitFailed
	case rep.Mismatch():
		next := "see the guests marked MISMATCH"
		if rep.Resume != "" {
			next = "finish with: " + rep.Resume
		}
		fmt.Fprintf(e.stderr, "sfkvm rotate: MISMATCH: guests' passwords and some hosts' kvmguests.conf disagree; %s\n", next)
		return exitFailed
	case rep.Failed():
		return exitFailed
	}
	return exitOK
}

// resumeFlags are the flags of a run that its --resume needs: the file,
// how to log in to the hosts and check their keys, and --key where the
// file holds sealed tokens (resume checks the file before copying it).
type resumeFlags struct {
	file, key, hostKnownHosts, identity, hostUser, hostPasswordFile, ssh, sshConfig string
	hostTimeout                                                                     time.Duration
}

// resumeCommand is the command that finishes a run, as pasted into a
// shell: every path absolute (it may be run from another folder), every
// word quoted; rotate adds --hosts and --previous-sha256.
func resumeCommand(f resumeFlags) string {
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	words := []string{"rotate", "--resume", "-f", abs(f.file)}
	add := func(flag, v string, path bool) {
		if v == "" {
			return
		}
		if path {
			v = abs(v)
		}
		words = append(words, flag, v)
	}
	add("--key", f.key, true)
	if f.ssh == "" && f.sshConfig == "" { // else ssh_config checks the keys
		add("--host-known-hosts", f.hostKnownHosts, true)
	}
	add("--identity", f.identity, true)
	if f.hostUser != "root" {
		add("--host-user", f.hostUser, false)
	}
	add("--host-password-file", f.hostPasswordFile, true)
	add("--ssh", f.ssh, strings.Contains(f.ssh, "/"))
	add("--ssh-config", f.sshConfig, true)
	if f.hostTimeout != rotate.DefaultHostTimeout {
		add("--host-timeout", f.hostTimeout.String(), false)
	}
	line, err := sshcheck.QuoteCommand("sfkvm", words...)
	if err != nil { // a NUL in a flag: refused by the file opens anyway
		return rotate.DefaultResumeCommand
	}
	return line
}
