package lab_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/preflight/lab"
	"github.com/sfkvm/sfkvm/sshcheck"
)

func ExampleNew() {
	dir, _ := os.MkdirTemp("", "lab-example-")
	defer os.RemoveAll(dir)
	l, err := lab.New(dir, lab.Down("guest12"))
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	if err := l.Prepare(context.Background(), io.Discard); err != nil {
		log.Fatal(err)
	}
	rep := preflight.Run(context.Background(), l.Config())
	for _, r := range rep.Of(preflight.GuestHostKey.ID) {
		fmt.Println(r.Target, r.Status)
	}
	fmt.Println(l.StoreName)
	// Output:
	// guest11 192.0.2.11 OK
	// guest12 192.0.2.12 FAIL
	// guest21 192.0.2.21 OK
	// guest22 192.0.2.22 OK
	// an in-memory store
}

// A lab that other processes use: WriteFiles leaves in its folder the
// routes, the key, the other host's password and the tools that the
// commands' flags name (sfkvm demo --keep prints them).
func ExampleLab_WriteFiles() {
	dir, _ := os.MkdirTemp("", "lab-example-")
	defer os.RemoveAll(dir)
	l, err := lab.Start(context.Background(), dir, io.Discard)
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	files, err := l.WriteFiles(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	routes, err := lab.ReadRoutes(files.Routes) // in the other process
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(routes), "routes; guest11's as the lab's:", routes["192.0.2.11:22"] == l.Routes["192.0.2.11:22"])
	fmt.Println(filepath.Base(files.Key), filepath.Base(files.SDTool), filepath.Base(files.CFTool))
	// Output:
	// 6 routes; guest11's as the lab's: true
	// sfkvm.key sdtool cftool
}

// The lab's hosts as sfkvm site sees them: each answers `sfkvm preflight
// --format=json` by calling the function given, as itself (sfkvm demo
// --keep runs the CLI's own preflight there, with that host's files).
func ExampleWithPreflight() {
	dir, _ := os.MkdirTemp("", "lab-example-")
	defer os.RemoveAll(dir)
	run := func(ctx context.Context, host string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
		fmt.Fprintf(stdout, "preflight as %s with %q\n", host, args)
		return 0
	}
	l, err := lab.Start(context.Background(), dir, io.Discard, lab.WithPreflight(run))
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	p, err := sshcheck.New(l.ProberOptions(sshcheck.TrustUnknown))
	if err != nil {
		log.Fatal(err)
	}
	c, err := p.Dial(context.Background(), l.Host2Target())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for _, args := range [][]string{{"preflight", "--format=json", "--guest", "guest12"}, {"preflight", "--format=json", "--sdtool", "/bin/sh"}} {
		stdout, stderr, status, err := c.Run(context.Background(), lab.SFKVM, args...)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("exit %d: %s%s", status, stdout, stderr)
	}
	// Output:
	// exit 0: preflight as cfhost2 with ["--guest" "guest12"]
	// exit 2: sfkvm preflight (the sfkvm lab's host cfhost2): "--sdtool": not an argument the lab's hosts pass on to sfkvm preflight (only --guest, --parallel, --password-warn-days, --timeout)
}
