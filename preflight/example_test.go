package preflight_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/netip"
	"os"
	"time"

	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/preflight/lab"
)

// Run against the lab, with one guest's sudo broken: the one FAIL says
// which check, which step, and what to do.
func ExampleRun() {
	dir, _ := os.MkdirTemp("", "preflight-example-")
	defer os.RemoveAll(dir)
	l, err := lab.Start(context.Background(), dir, io.Discard, lab.SudoNeedsPassword("guest22"))
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	rep := preflight.Run(context.Background(), l.Config())
	for _, r := range rep.Results {
		if r.Status == preflight.Fail {
			fmt.Println(r.Check, r.Step, r.Target)
			fmt.Println("fix:", r.Fix)
		}
	}
	fmt.Println("failed:", rep.Failed())
	// Output:
	// guest.sudo 1.2 guest22 192.0.2.22
	// fix: on guest22, with visudo: user4 ALL=(root) NOPASSWD: ALL
	// failed: true
}

func ExampleLookup() {
	c := preflight.Lookup("guest.sudo")
	fmt.Println(c.Step, c.Title)
	// Output: 1.2 sudo NOPASSWD
}

func ExampleGuestTarget() {
	g := kvmguests.Guest{Name: "guest11", IP: netip.MustParseAddr("10.20.30.50"), User: "user1"}
	t := preflight.GuestTarget(g, 0, nil)
	fmt.Println(t.Name, t.HostPort(), t.User)
	// Output: guest11 10.20.30.50:22 user1
}

// A report as a monitoring plugin prints it: the status line with
// performance data, then a line per FAIL and WARN; the return code is the
// plugin's exit status.
func ExampleReport_WritePlugin() {
	t0 := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	rep := preflight.Report{
		Results: []preflight.Result{
			{Check: "guest.login", Target: "guest12 10.0.0.12", Status: preflight.OK, Reason: "as user2"},
			{Check: "guest.sudo", Target: "guest12 10.0.0.12", Status: preflight.Fail, Reason: "sudo needs a password"},
		},
		Counts:  preflight.Counts{OK: 1, Fail: 1},
		Started: t0, Finished: t0.Add(1200 * time.Millisecond),
	}
	code, _ := rep.WritePlugin(os.Stdout)
	fmt.Println("exit", code)
	// Output:
	// SFKVM PREFLIGHT CRITICAL - 1 FAIL, 0 WARN: guest.sudo guest12 10.0.0.12 | ok=1;;;0 warn=0;0;;0 fail=1;;0;0 skip=0;;;0 duration=1.200s;;;0
	// FAIL guest.sudo guest12 10.0.0.12: sudo needs a password
	// exit 2
}
