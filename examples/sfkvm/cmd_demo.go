package main

import (
	"context"
	"errors"
	"fmt"
	"os"
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
	fs := newFlags(e, "demo", "[--timeout D]")
	timeout := fs.Duration("timeout", time.Minute, "bound on the whole demo")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
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
	l, err := lab.New(dir, lab.SudoNeedsPassword(demoBrokenGuest), lab.WithLibvirt(demoStoreOpener(ctx)))
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
	return exitOK
}
