package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/rotate"
	"github.com/sfkvm/sfkvm/sshcheck"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, sshcheck.Options{}))
}

// run is the program; opts are the prober's (tests route the guest's
// address with DialContext).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, opts sshcheck.Options) int {
	fs := flag.NewFlagSet("rotateone", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", kvmguests.DefaultPath, "kvmguests.conf")
	guest := fs.String("guest", "", "the guest-name whose password to rotate")
	keyFile := fs.String("key", "", "key file of the sealed tokens")
	out := fs.String("out", "", "new root-only file for the new password")
	hosts := fs.String("hosts", "", "the other hosts, comma-separated")
	knownHosts := fs.String("known-hosts", "", "known_hosts of the guests (default root's)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *guest == "" || *keyFile == "" || *out == "" {
		fmt.Fprintln(stderr, "rotateone: -guest, -key and -out are needed")
		return 2
	}
	key, err := cipher.LoadKey(*keyFile)
	if err != nil {
		fmt.Fprintln(stderr, "rotateone:", err)
		return 1
	}
	defer key.Wipe()
	pw, err := rotate.Generate(0)
	if err != nil {
		fmt.Fprintln(stderr, "rotateone:", err)
		return 1
	}
	defer pw.Wipe()
	// The new password is kept before anything changes: if the run dies
	// halfway, the administrator still has it.
	if err := rotate.WritePasswordFile(*out, pw); err != nil {
		fmt.Fprintln(stderr, "rotateone:", err)
		return 1
	}
	if *knownHosts != "" {
		opts.KnownHostsFiles = []string{*knownHosts}
	}
	prober, err := sshcheck.New(opts)
	if err != nil {
		fmt.Fprintln(stderr, "rotateone:", err)
		return 1
	}
	plan := rotate.Plan{
		File:        *file,
		FileOptions: kvmguests.Options{AllowSealed: true},
		Guests:      []string{*guest},
		NewPassword: pw,
		OldPassword: func(g kvmguests.Guest) sshcheck.PasswordSource {
			return preflight.SealedPassword(key, g, cipher.OpenOptions{}, nil)
		},
		Encrypter: func(g kvmguests.Guest) cipher.Encrypter { return key.ForGuest(preflight.GuestContext(g)) },
		Prober:    prober,
		Connect:   rotate.OpenSSH{}.Connector(),
	}
	if *hosts != "" {
		for _, h := range strings.Split(*hosts, ",") {
			plan.Hosts = append(plan.Hosts, rotate.Host{Name: h})
		}
	}
	rep := rotate.Run(ctx, plan)
	rep.WriteText(stdout)
	switch {
	case rep.Mismatch():
		return 3
	case rep.Failed():
		return 1
	}
	fmt.Fprintf(stdout, "%s: rotated; the new password is in %s\n", *guest, *out)
	return 0
}
