package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migratesetup"
	pmetrics "github.com/sfkvm/sfkvm/preflight/metrics"
	"github.com/sfkvm/sfkvm/site"
	sitemetrics "github.com/sfkvm/sfkvm/site/metrics"
	"github.com/sfkvm/sfkvm/sshcheck"
)

func init() {
	commands["site"] = command{
		summary: "run preflight on every host over SSH and check the whole site: one report",
		run:     runSite,
	}
}

const siteSynopsis = "--site-hosts HOST,... | --site-hosts-file FILE [--sfkvm PATH] [--identity FILE | --host-password-file FILE] [--parallel N] [--textfile DIR] [--format=text|json] [flags]"

func runSite(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "site", siteSynopsis)
	hosts := fs.String("site-hosts", "", "every host of the site (this one too, if it is one), comma-separated: `ADDR` or ADDR:PORT, as this machine reaches them over SSH")
	hostsFile := fs.String("site-hosts-file", "", "`file` of every host of the site, one ADDR or ADDR:PORT a line (# starts a comment)")
	user := fs.String("host-user", "root", "user on the hosts")
	identity := fs.String("identity", "", "private key `file` for the hosts (default: ssh-agent's keys, then ~/.ssh/id_rsa, id_ecdsa, id_ed25519)")
	hostPasswordFile := fs.String("host-password-file", "", "root-only `file` whose first line is --host-user's password, to log in to the hosts by password instead of by key")
	hostKnownHosts := fs.String("host-known-hosts", "", "known_hosts `file` of the hosts' keys, on this machine (default root's ~/.ssh/known_hosts; /etc/ssh/ssh_known_hosts is also read)")
	sfkvm := fs.String("sfkvm", site.DefaultSFKVM, "the sfkvm program on the hosts (`path`)")
	var pfArgs []string
	fs.Func("preflight-arg", "an argument for sfkvm preflight on the hosts, after --format=json (repeat it: --preflight-arg=--key --preflight-arg=/etc/opt/sfkvm/key)", func(s string) error {
		pfArgs = append(pfArgs, s)
		return nil
	})
	file := fs.String("f", kvmguests.DefaultPath, "kvmguests.conf on the hosts")
	hostinfo := fs.String("hostinfo", migratesetup.DefaultPath, "the host information file on the hosts")
	knownHosts := fs.String("known-hosts", site.DefaultKnownHosts, "known_hosts `file` of the guests' keys, on the hosts (root's, read by their preflight)")
	guestPort := fs.Int("port", 22, "SSH port of the guests")
	parallel := fs.Int("parallel", site.DefaultParallel, "hosts at once")
	timeout := fs.Duration("timeout", site.DefaultHostTimeout, "bound on each host, login to its preflight's report")
	labRoutes := labRoutesFlag(fs)
	textfile := fs.String("textfile", "", "also write the report as metrics for node_exporter's textfile collector, to "+sitemetrics.FileName+" in this `folder` (root's, not writable by others)")
	// The spellings before issue 20 (one name for one meaning in every
	// command): --hosts is "the other hosts" in preflight and rotate.
	renamed(e, fs, "hosts", "site-hosts")
	renamed(e, fs, "hosts-file", "site-hosts-file")
	renamed(e, fs, "user", "host-user")
	renamed(e, fs, "guest-port", "port")
	renamed(e, fs, "hosts-known-hosts", "known-hosts")
	format := formatFlag(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	localPaths(fs, "site-hosts-file", "identity", "host-password-file", "host-known-hosts", "textfile", "lab-routes")
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(e.stderr, "sfkvm site: %s\n", fmt.Sprintf(format, a...))
		return code
	}
	if given := givenFlags(fs); given["known-hosts"] && !given["host-known-hosts"] && (given["hosts"] || given["hosts-file"]) {
		// Before issue 20, site's --known-hosts held the hosts' keys.
		fmt.Fprintln(e.stderr, "sfkvm site: note: --known-hosts is now the guests' known_hosts on the hosts; the hosts' keys on this machine are --host-known-hosts")
	}
	if err := remotePaths(fs, "f", "hostinfo", "known-hosts"); err != nil {
		return fail(exitUsage, "%v", err)
	}
	if strings.Contains(*sfkvm, "/") && !filepath.IsAbs(*sfkvm) {
		return fail(exitUsage, "--sfkvm %q: a path on the hosts must be absolute (or a name looked up in PATH there)", *sfkvm)
	}
	switch {
	case fs.NArg() > 0:
		return fail(exitUsage, "unexpected argument %q", fs.Arg(0))
	case (*hosts == "") == (*hostsFile == ""):
		return fail(exitUsage, "give --site-hosts or --site-hosts-file (one of them)")
	case *identity != "" && *hostPasswordFile != "":
		return fail(exitUsage, "give --identity or --host-password-file, not both")
	case *parallel < 1 || *timeout <= 0 || *guestPort < 1 || *guestPort > 65535:
		return fail(exitUsage, "--parallel, --timeout and --port must be positive")
	}
	var targets []sshcheck.Target
	if *hostsFile != "" {
		var err error
		if targets, err = site.ReadHostsFile(*hostsFile); err != nil {
			// 77 for a list another user could have changed (a link, their
			// file, one they can write), as for a key file; 66 for one
			// missing or unreadable, or a FIFO, device or folder.
			code := secretFileExit(err)
			if errors.Is(err, site.ErrHostsFile) {
				code = exitConfig
			}
			return fail(code, "--site-hosts-file: %v", err)
		}
	}
	for _, w := range strings.Split(*hosts, ",") {
		if *hosts == "" {
			break
		}
		t, err := site.ParseHost(w)
		if err != nil {
			return fail(exitUsage, "host %q: %v", w, err)
		}
		targets = append(targets, t)
	}
	// The textfile's folder is checked before the run, which takes
	// minutes: a wrong one is told at once.
	var tf *pmetrics.TextfileDir
	if *textfile != "" {
		var err error
		if tf, err = pmetrics.OpenTextfileDir(*textfile); err != nil {
			return fail(textfileExit(err), "--textfile: %v", err)
		}
		defer tf.Close()
	}
	keys, hostPW, wipe, code, err := hostCredentials(*identity, *hostPasswordFile)
	if err != nil {
		return fail(code, "%v", err)
	}
	defer wipe()
	cfg := site.Config{SFKVM: *sfkvm, PreflightArgs: pfArgs, File: *file, HostInfo: *hostinfo,
		KnownHosts: *knownHosts, GuestPort: *guestPort, Parallel: *parallel, HostTimeout: *timeout}
	for _, t := range targets {
		t.User, t.Keys, t.Password = *user, keys, hostPW
		cfg.Hosts = append(cfg.Hosts, t)
	}
	opts := sshcheck.Options{CommandTimeout: *timeout}
	if *hostKnownHosts != "" {
		opts.KnownHostsFiles = []string{*hostKnownHosts}
	}
	if code, err := useLabRoutes(*labRoutes, &opts); err != nil {
		return fail(code, "--lab-routes: %v", err)
	}
	if cfg.Prober, err = sshcheck.New(opts); err != nil {
		return fail(knownHostsExit(err), "%v", err)
	}
	defer siteMemoryLimit()()
	rep := site.Run(ctx, cfg)
	// A run cut short by a signal would write every host it had not
	// finished as down: the last whole run's metrics stay, and go stale if
	// no run finishes.
	if tf != nil && !interrupted(ctx) {
		if err := sitemetrics.Write(tf, rep); err != nil {
			return fail(textfileWriteExit(err), "--textfile: %v", err)
		}
	}
	code = exitOK
	if rep.Failed() {
		code = exitFailed
	}
	if *format == "json" {
		err = writeJSON(e.stdout, rep)
	} else {
		err = rep.WriteText(e.stdout)
	}
	if err != nil {
		return exitFailed
	}
	return code
}

// siteMemoryLimit makes the collector run before the heap passes 192 MiB,
// and returns the function that restores the limit. A host's report (up to
// 64 MiB) is held whole while it is read and decoded, and with the
// default GOGC the heap then grows to twice what is live before a
// collection: one host's 60 MiB report peaked at 250 MiB of RSS, most of
// it garbage. The limit is soft: a site whose reports are live beyond it
// still runs, the collector then working harder. A GOGC or GOMEMLIMIT set
// by the user wins.
func siteMemoryLimit() (restore func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	limit := debug.SetMemoryLimit(192 << 20)
	return func() { debug.SetMemoryLimit(limit) }
}
