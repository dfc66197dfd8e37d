package preflight_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/netip"
	"os"

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
