package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sfkvm/sfkvm/diag"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/libvirtstore"
	"github.com/sfkvm/sfkvm/migratesetup/rpcstore"
	"github.com/sfkvm/sfkvm/sdfacility"
)

func init() {
	commands["migratesetup"] = command{
		summary: "register this host (-c), set up guests to read it (-s) or undo (-d)",
		run:     runMigratesetup,
	}
}

const migratesetupSynopsis = `-c -i HOSTIP [-w off] [--cfname NAME | --cftool PATH] [--hostinfo PATH] [--format=text|json]
       sfkvm migratesetup -s|-d DOMAIN... [--connect URI] [--dry-run] [--restart [--force] [--timeout D]] [--parallel N] [--hostinfo PATH] [--format=text|json]`

// migratesetupFlags are the flags of both forms of the command.
type migratesetupFlags struct {
	register, setup, remove bool
	ip, weight, cfname      string
	cftool                  string
	hostinfo, uri           string
	dryRun, restart, force  bool
	timeout                 time.Duration
	parallel                int
	format                  *outputFormat
}

func runMigratesetup(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "migratesetup", migratesetupSynopsis)
	var f migratesetupFlags
	fs.BoolVar(&f.register, "c", false, "register this host's information (the vendor's -c)")
	fs.BoolVar(&f.setup, "s", false, "set up the named shut-off guests to read the host information")
	fs.BoolVar(&f.remove, "d", false, "remove the host information disk from the named guests")
	fs.StringVar(&f.ip, "i", "", "this host's `IP` address (IPv4 or IPv6, not link-local), with -c")
	fs.StringVar(&f.weight, "w", "", "`off`: do not link the guest's shutdown-facility weight to the host's on migration; the same on every host")
	fs.StringVar(&f.cfname, "cfname", "", "this host's CF node `NAME`, with -c; read from cftool -l when not given")
	fs.StringVar(&f.cftool, "cftool", sdfacility.DefaultCFTool, "`path` of cftool, run as cftool -l when --cfname is not given")
	fs.StringVar(&f.hostinfo, "hostinfo", migratesetup.DefaultPath, "the host information file, the same `PATH` on every host")
	fs.StringVar(&f.uri, "connect", "qemu:///system", "libvirt connection `URI`, with -s and -d")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print the change as a diff (secrets redacted) and change nothing")
	fs.BoolVar(&f.restart, "restart", false, "also handle a running guest: define the new definition, then shut it down (ACPI) and start it again (never a transient, paused or crashed one)")
	fs.BoolVar(&f.force, "force", false, "with --restart: force a guest off when it has not shut down in time")
	fs.DurationVar(&f.timeout, "timeout", 3*time.Minute, "with --restart: how long to wait for a guest to shut down")
	fs.IntVar(&f.parallel, "parallel", 4, "how many guests to work on at once")
	f.format = formatFlag(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	localPaths(fs, "cftool")
	names := fs.Args()
	modes := 0
	for _, m := range []bool{f.register, f.setup, f.remove} {
		if m {
			modes++
		}
	}
	if modes != 1 {
		fmt.Fprintln(e.stderr, "sfkvm migratesetup: give exactly one of -c, -s and -d")
		fs.Usage()
		return exitUsage
	}
	// An empty or relative path would name a different file for QEMU than
	// for us; refuse it before anything else happens, for -c as for -s.
	if err := migratesetup.CheckHostInfoPath(f.hostinfo); err != nil {
		fmt.Fprintf(e.stderr, "sfkvm migratesetup: --hostinfo: %v\n", err)
		return exitUsage
	}
	if f.register {
		if len(names) > 0 {
			fmt.Fprintf(e.stderr, "sfkvm migratesetup: -c takes no domain names (got %q)\n", names[0])
			return exitUsage
		}
		return registerHost(ctx, e, f)
	}
	if len(names) == 0 {
		fmt.Fprintln(e.stderr, "sfkvm migratesetup: name at least one domain")
		return exitUsage
	}
	if f.force && !f.restart {
		fmt.Fprintln(e.stderr, "sfkvm migratesetup: --force only makes sense with --restart")
		return exitUsage
	}
	if f.parallel < 1 {
		fmt.Fprintln(e.stderr, "sfkvm migratesetup: --parallel must be at least 1")
		return exitUsage
	}
	return setupGuests(ctx, e, f, names)
}

// cftoolTimeout bounds cftool -l under -c: it answers at once where CF
// runs, and a hung one must not hang the registration.
var cftoolTimeout = 30 * time.Second

func registerHost(ctx context.Context, e *env, f migratesetupFlags) int {
	if f.ip == "" {
		fmt.Fprintln(e.stderr, "sfkvm migratesetup: -c needs -i HOSTIP")
		return exitUsage
	}
	if f.weight != "" && f.weight != "off" {
		fmt.Fprintf(e.stderr, "sfkvm migratesetup: -w takes only \"off\" (got %q); leave it out to link the weights\n", f.weight)
		return exitUsage
	}
	ip, err := migratesetup.ParseHostIP(f.ip)
	if err != nil {
		printDiagnostics(e.stderr, err)
		return exitConfig
	}
	if f.cfname == "" {
		// The vendor's command reads it itself; so do we, with sdfacility's
		// tolerant reading of cftool -l.
		cftool, err := toolPath("cftool", f.cftool)
		if err != nil {
			fmt.Fprintf(e.stderr, "sfkvm migratesetup: %v\n", err)
			return exitUsage
		}
		cfCtx, cancel := context.WithTimeout(ctx, cftoolTimeout)
		name, err := sdfacility.CFTool{Path: cftool}.LocalNodeName(cfCtx)
		cancel()
		if err != nil {
			fmt.Fprintf(e.stderr, "sfkvm migratesetup: reading this host's CF node name: %v\n", err)
			fmt.Fprintln(e.stderr, "sfkvm migratesetup: give it with --cfname NAME (the first column of cftool -l), or the path of cftool with --cftool")
			return exitUnavailable
		}
		f.cfname = name
	}
	info := migratesetup.HostInfo{CFName: f.cfname, IP: ip, NoWeightLink: f.weight == "off"}
	ds := info.Check()
	if err := ds.Err(); err != nil {
		printDiagnostics(e.stderr, err)
		return exitConfig
	}
	warnings := ds.Warnings()
	printDiagnostics(e.stderr, warnings)
	if err := migratesetup.Register(ctx, f.hostinfo, info); err != nil {
		fmt.Fprintf(e.stderr, "sfkvm migratesetup: %v\n", err)
		return registerExitCode(err)
	}
	if *f.format == "json" {
		if warnings == nil {
			warnings = diag.Diagnostics{}
		}
		writeJSON(e.stdout, migratesetup.Report{Schema: migratesetup.Schema, Action: migratesetup.ActionRegister,
			Path: f.hostinfo, Host: &info, Warnings: warnings})
		return exitOK
	}
	fmt.Fprintf(e.stdout, "registered host-cfname %s host-ip %s weight-link %s in %s\n", info.CFName, info.IP, info.WeightLink(), f.hostinfo)
	return exitOK
}

// registerExitCode is 77 when Register was not permitted (not root, a
// read-only or immutable folder) or refused an unsafe path (a folder that
// others can write, a device or FIFO at the path), 1 for any other failure
// to write.
func registerExitCode(err error) int {
	if errors.Is(err, os.ErrPermission) || errors.Is(err, migratesetup.ErrUnsafePath) {
		return exitNoPerm
	}
	return exitFailed
}

// printDiagnostics prints each diagnostic of err on its own line.
func printDiagnostics(w io.Writer, err error) {
	var ds diag.Diagnostics
	if !errors.As(err, &ds) {
		if err != nil {
			fmt.Fprintf(w, "sfkvm migratesetup: %v\n", err)
		}
		return
	}
	for _, d := range ds {
		fmt.Fprintf(w, "sfkvm migratesetup: %s\n", d.Error())
	}
}

// libvirtConnectTimeout bounds the connection to libvirt's daemon and its
// handshake; each call after that is bounded by the command's context.
var libvirtConnectTimeout = 30 * time.Second

// openStore connects to libvirt at uri. The host's daemon (qemu:///system,
// qemu:///session, qemu+unix:///...?socket=PATH) is reached over libvirt's
// RPC protocol on its socket (rpcstore, pure Go: the static binary has
// it). libvirt's test driver (test:///...) runs in-process through
// libvirt's C library, which only a cgo build has (libvirtstore; without
// cgo its error wraps libvirtstore.ErrNoLibvirt). An error means libvirt
// cannot be reached: the command exits 69 (77 when the daemon's socket
// refuses this user).
func openStore(ctx context.Context, uri string) (migratesetup.Store, func(), error) {
	if strings.HasPrefix(uri, "test:") {
		s, err := libvirtstore.Open(uri)
		if err != nil {
			return nil, nil, err
		}
		return s, func() { s.Close() }, nil
	}
	ctx, cancel := context.WithTimeout(ctx, libvirtConnectTimeout)
	defer cancel()
	s, err := rpcstore.Open(ctx, uri)
	if err != nil {
		return nil, nil, err
	}
	return s, func() { s.Close() }, nil
}

// storeExitCode is the exit code for an error of openStore.
func storeExitCode(err error) int {
	if errors.Is(err, os.ErrPermission) {
		return exitNoPerm
	}
	return exitUnavailable
}

func setupGuests(ctx context.Context, e *env, f migratesetupFlags, names []string) int {
	store, closeStore, err := openStore(ctx, f.uri)
	if err != nil {
		fmt.Fprintf(e.stderr, "sfkvm migratesetup: %v\n", err)
		return storeExitCode(err)
	}
	defer closeStore()
	opts := migratesetup.Options{
		HostInfoPath: f.hostinfo, DryRun: f.dryRun, Restart: f.restart, Force: f.force,
		ShutdownTimeout: f.timeout, Parallel: f.parallel,
	}
	var results []migratesetup.Result
	if f.remove {
		results = migratesetup.RemoveGuests(ctx, store, names, opts)
	} else {
		results = migratesetup.SetupGuests(ctx, store, names, opts)
	}
	code := exitOK
	for _, r := range results {
		if !r.Outcome.OK() {
			code = exitFailed
		}
	}
	if *f.format == "json" {
		action := migratesetup.ActionSetup
		if f.remove {
			action = migratesetup.ActionRemove
		}
		if results == nil {
			results = []migratesetup.Result{}
		}
		writeJSON(e.stdout, migratesetup.Report{Schema: migratesetup.Schema, Action: action, Path: f.hostinfo, Results: results})
		return code
	}
	for _, r := range results {
		fmt.Fprintln(e.stdout, resultLine(r))
		if r.Diff != "" {
			fmt.Fprint(e.stdout, r.Diff)
		}
	}
	return code
}

// resultLine says in one line what happened to one guest.
func resultLine(r migratesetup.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", r.Domain, r.Outcome)
	if r.Target != "" && r.Outcome.OK() {
		fmt.Fprintf(&b, " (%s)", r.Target)
	}
	switch r.Stopped {
	case "shutdown":
		b.WriteString("; shut down (ACPI)")
	case "destroyed":
		b.WriteString("; did not shut down in time, forced off")
	}
	if r.Started {
		b.WriteString(", started again")
	}
	if r.Err != nil {
		fmt.Fprintf(&b, ": %v", r.Err)
	}
	return b.String()
}
