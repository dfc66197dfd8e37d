package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/libvirtstore"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/preflight/lab"
)

func init() {
	commands["demo"] = command{
		summary: "run the whole procedure against a built-in lab, in seconds, leaving nothing behind",
		run:     runDemo,
	}
}

// The demo's one deliberate fault: guest22's user may use sudo only with a
// password, so its sudo check FAILs with the fix printed.
const demoBrokenGuest = "guest22"

// demoStoreOpener gives the lab libvirt's test driver in-process where
// this binary has libvirt's C library (a cgo build). The release binary is
// static: it speaks to a host's libvirt daemon over its socket, and the
// demo starts no daemon and touches none, so its lab then keeps its
// domains in migratesetup's in-memory store, and says so.
func demoStoreOpener(ctx context.Context) lab.StoreOpener {
	return func(uri string) (migratesetup.Store, func(), error) {
		s, closeStore, err := openStore(ctx, uri)
		if errors.Is(err, libvirtstore.ErrNoLibvirt) {
			return nil, nil, errors.New("a static build: it has no in-process libvirt test driver, and on a host it speaks to libvirt's daemon over its socket")
		}
		return s, closeStore, err
	}
}

func runDemo(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "demo", "[--timeout D] [--keep]")
	timeout := fs.Duration("timeout", time.Minute, "bound on the whole demo (with --keep: until the lab is kept)")
	keep := fs.Bool("keep", false, "keep the lab running and print the commands that point check, probe, preflight, rotate and site at it, until Ctrl-C")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	keptCtx := ctx
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	storeCtx := ctx
	if *keep {
		storeCtx = keptCtx // the kept lab's libvirt outlives the timeout
	}
	dir, err := os.MkdirTemp("", "sfkvm-demo-")
	if err != nil {
		fmt.Fprintf(e.stderr, "sfkvm demo: %v\n", err)
		return exitUnavailable
	}
	defer os.RemoveAll(dir)

	fmt.Fprintf(e.stdout, "sfkvm demo: a lab in %s\n", dir)
	fmt.Fprintln(e.stdout, "   four guests (the manual's example) as in-process SSH servers at 192.0.2.x, routed to 127.0.0.1;")
	fmt.Fprintln(e.stdout, "   this host cfhost1 (192.0.2.1) and another host cfhost2 (192.0.2.2); a simulated shutdown facility;")
	fmt.Fprintf(e.stdout, "   one fault on purpose: %s's user needs a password for sudo (no NOPASSWD)\n", demoBrokenGuest)
	// The kept lab's hosts run this binary's own preflight, as each host,
	// for sfkvm site: once its files are written.
	var kept atomic.Pointer[keptLab]
	hostPreflight := func(ctx context.Context, host string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
		k := kept.Load()
		if k == nil {
			fmt.Fprintf(stderr, "sfkvm preflight: the lab's host %s is not ready yet: run sfkvm site once sfkvm demo --keep has printed its commands\n", host)
			return exitUnavailable
		}
		flags, err := k.preflightFlags(host)
		if err != nil {
			fmt.Fprintf(stderr, "sfkvm preflight: %v\n", err)
			return exitUnavailable
		}
		return run(ctx, append(flags, args...), stdin, stdout, stderr)
	}
	l, err := lab.New(dir, lab.SudoNeedsPassword(demoBrokenGuest), lab.WithLibvirt(demoStoreOpener(storeCtx)), lab.WithPreflight(hostPreflight))
	if err != nil {
		fmt.Fprintf(e.stderr, "sfkvm demo: building the lab: %v\n", err)
		return exitUnavailable
	}
	defer l.Close()
	if err := l.Prepare(ctx, e.stdout); err != nil {
		fmt.Fprintf(e.stderr, "sfkvm demo: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(e.stdout, "\n== step all: preflight: the whole procedure, checked\n   (on a real cluster: sfkvm preflight --hosts OTHER_HOSTS --password-stdin)\n")
	rep := preflight.Run(ctx, l.Config())
	rep.WriteText(e.stdout)
	if bad := l.Unexpected(rep); len(bad) > 0 {
		fmt.Fprintln(e.stdout, "\ndemo: the lab did NOT behave as expected:")
		for _, b := range bad {
			fmt.Fprintln(e.stdout, "   "+b)
		}
		return exitFailed
	}
	fmt.Fprintf(e.stdout, "\ndemo: every step behaved as the lab expects, including %s's FAIL.\n", demoBrokenGuest)
	fmt.Fprintln(e.stdout, "On a real host: sfkvm check, sfkvm probe --trust, sfkvm sd restart, sfkvm migratesetup -c/-s, sfkvm preflight.")
	if !*keep {
		return exitOK
	}
	files, err := l.WriteFiles(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "sfkvm demo: keeping the lab: %v\n", err)
		return exitUnavailable
	}
	cancel() // the timeout bounded the building; the kept lab waits for a signal
	kept.Store(&keptLab{l: l, files: files})
	printKept(e.stdout, l, files)
	<-keptCtx.Done()
	return exitOK
}

// printKept prints the commands that point sfkvm at the kept lab, one a
// line, each whole: pasted into another terminal, each runs as it is.
func printKept(w io.Writer, l *lab.Lab, f lab.Files) {
	sfkvm := "sfkvm"
	if exe, err := os.Executable(); err == nil && filepath.Base(exe) == "sfkvm" {
		sfkvm = shellWord(exe)
	}
	q := shellWord
	noPerm := ""
	if l.SkipFileChecks() {
		noPerm = " --no-perm"
	}
	guests := "-f " + q(l.File) + noPerm + " --key " + q(f.Key) + " --known-hosts " + q(l.KnownHosts) + " --lab-routes " + q(f.Routes)
	fmt.Fprintf(w, "\n== the lab is kept in %s until Ctrl-C; in another terminal:\n", l.Dir)
	fmt.Fprintf(w, "%s check --allow-sealed -f %s%s\n", sfkvm, q(l.File), noPerm)
	fmt.Fprintf(w, "%s probe %s\n", sfkvm, guests)
	// Never the default qemu:///system: the demo touches no libvirt of
	// the host's.
	connect := " --connect test:///default"
	if f.Libvirt != "" {
		connect = " --connect " + q("test://"+f.Libvirt)
	}
	fmt.Fprintf(w, "%s preflight %s --hosts %s --host-password-file %s --host-known-hosts %s --sdtool %s --cftool %s --hostinfo %s%s\n",
		sfkvm, guests, lab.Host2IP, q(f.HostPassword), q(f.HostKnownHosts), q(f.SDTool), q(f.CFTool), q(l.HostInfo), connect)
	fmt.Fprintf(w, "printf '%%s\\n' 'Demo-rotate-1' | %s rotate --dry-run --password-stdin --native --guests guest11,guest12,guest21 %s --hosts %s --host-password-file %s --host-known-hosts %s\n",
		sfkvm, guests, lab.Host2IP, q(f.HostPassword), q(f.HostKnownHosts))
	fmt.Fprintf(w, "%s site --site-hosts %s,%s --host-known-hosts %s --host-password-file %s --lab-routes %s --sfkvm %s -f %s --hostinfo %s --known-hosts %s\n",
		sfkvm, lab.HostIP, lab.Host2IP, q(f.HostKnownHosts), q(f.HostPassword), q(f.Routes), lab.SFKVM, q(l.File), q(l.HostInfo), q(l.KnownHosts))
	if f.Libvirt == "" {
		fmt.Fprintln(w, "   (preflight and site: the hosts' libvirt rows SKIP: the lab keeps its domains in an in-memory store, which no other process can read, and this build has no libvirt test driver)")
	}
	fmt.Fprintf(w, "   (preflight and site FAIL %s's sudo on purpose; rotate leaves it out, its sudo needs a password)\n", demoBrokenGuest)
	fmt.Fprintf(w, "   (site logs in to both hosts, %s and %s, SSH servers of this demo that run this binary's preflight as that host)\n", lab.HostName, lab.Host2Name)
}

// keptLab is the kept lab and its files, for its hosts' preflight runs.
type keptLab struct {
	l     *lab.Lab
	files lab.Files
}

// preflightFlags are the flags that point sfkvm preflight at the kept lab
// as host would run it there: its own copy of the file, registration,
// cftool and libvirt, the other host as --hosts; everything else is the
// lab's (the key, known_hosts, routes, the hosts' root password, sdtool).
func (k *keptLab) preflightFlags(host string) ([]string, error) {
	h, ok := k.files.Host(host)
	if !ok {
		return nil, fmt.Errorf("no lab host %q", host)
	}
	f := k.files
	flags := []string{"preflight", "--format=json", "-f", h.File, "--key", f.Key, "--known-hosts", k.l.KnownHosts, "--lab-routes", f.Routes,
		"--hosts", h.Other, "--host-password-file", f.HostPassword, "--host-known-hosts", f.HostKnownHosts,
		"--sdtool", f.SDTool, "--cftool", h.CFTool, "--hostinfo", h.HostInfo, "--connect", "test:///default"}
	if h.Libvirt != "" {
		flags[len(flags)-1] = "test://" + h.Libvirt
	}
	if k.l.SkipFileChecks() {
		flags = append(flags, "--no-perm")
	}
	return flags, nil
}

// shellWord quotes s for a POSIX shell when it needs it.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-:+=,@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
