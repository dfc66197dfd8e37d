package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/rpcstore"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is the program, with its exit status: 0 when every shut-off guest
// is set up, 1 when any could not be, 2 for a usage error, 69 when
// libvirt's daemon is unavailable.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("setupall", flag.ContinueOnError)
	fs.SetOutput(stderr)
	uri := fs.String("connect", "qemu:///system", "libvirt URI")
	hostinfo := fs.String("hostinfo", migratesetup.DefaultPath, "this host's registration file")
	dryRun := fs.Bool("dry-run", false, "print the changes, change nothing")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The host's libvirt daemon over its socket, in pure Go: this program
	// builds with CGO_ENABLED=0. With no daemon, Open says what to start
	// (rpcstore.ErrNoDaemon).
	store, err := rpcstore.Open(ctx, *uri)
	if err != nil {
		fmt.Fprintln(stderr, "setupall:", err)
		return 69
	}
	defer store.Close()
	failed, err := setupAll(context.Background(), store, migratesetup.Options{HostInfoPath: *hostinfo, DryRun: *dryRun}, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "setupall:", err)
		return 69
	}
	if failed {
		return 1
	}
	return 0
}

// setupAll sets up every shut-off domain of s and reports on w; failed is
// true when any of them could not be set up.
func setupAll(ctx context.Context, s migratesetup.Store, opts migratesetup.Options, w io.Writer) (failed bool, err error) {
	names, err := s.List(ctx)
	if err != nil {
		return false, err
	}
	var off []string
	for _, n := range names {
		st, err := s.State(ctx, n)
		if err != nil {
			return false, err
		}
		if st == migratesetup.StateShutoff {
			off = append(off, n)
		} else {
			fmt.Fprintf(w, "%-20s %s: left alone until it is stopped\n", n, st)
		}
	}
	for _, r := range migratesetup.SetupGuests(ctx, s, off, opts) {
		if r.Err != nil {
			failed = true
			fmt.Fprintf(w, "%-20s FAILED: %v\n", r.Domain, r.Err)
			continue
		}
		fmt.Fprintf(w, "%-20s %s (disk %s)\n", r.Domain, r.Outcome, r.Target)
		if opts.DryRun {
			fmt.Fprint(w, r.Diff)
		}
	}
	return failed, nil
}
