package site

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/preflight"

	"golang.org/x/crypto/ssh/knownhosts"
)

// A host's hashed known_hosts of 1,000 guests, searched for all of them:
// the site's cost per host (every hashed line is tried with every name).
func BenchmarkMatchHashedKnownHosts(b *testing.B) {
	var file strings.Builder
	want := map[string]bool{}
	for i := range 1000 {
		name := fmt.Sprintf("10.235.%d.%d", i/250, i%250+2)
		want[name] = true
		fmt.Fprintf(&file, "%s ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBenchKeyOfTheGuestsBenchKeyOfTheGuests%d\n", knownhosts.HashHostname(name), i)
	}
	data := []byte(file.String())
	for b.Loop() {
		if got, err := matchKnownHosts(context.Background(), data, want); len(got) != 1000 {
			b.Fatal(len(got), err)
		}
	}
}

// The site checks over 10 hosts' reports of 1,000 guests each (6,000 rows
// a host): each guest's checks read only its own rows.
func BenchmarkSiteChecks(b *testing.B) {
	var guests []kvmguests.Guest
	for i := range 1000 {
		guests = append(guests, kvmguests.Guest{Name: fmt.Sprintf("guest%04d", i), HostCFName: fmt.Sprintf("cfhost%d", i%10+1),
			IP: netip.AddrFrom4([4]byte{10, 235, byte(i / 250), byte(i%250 + 2)}), User: "root"})
	}
	var runs []*hostRun
	for k := range 10 {
		h := &hostRun{Host: Host{Name: fmt.Sprintf("h%d", k+1), CFName: fmt.Sprintf("cfhost%d", k+1), WeightLink: "on", ConfSHA256: "x"},
			guests: guests, keys: map[string][]string{}, knownName: map[string]string{}, report: &hostReport{}}
		for i, g := range guests {
			h.knownName[g.Name] = g.IP.String()
			h.keys[g.IP.String()] = []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBenchKeyOfTheGuestsBenchKeyOfTheGuests"}
			for _, c := range []preflight.ID{"guest.hostkey", "guest.login", "guest.passwordage", "guest.names"} {
				h.report.Results = append(h.report.Results, Result{Check: c, Target: g.Name + " " + g.IP.String(), Status: preflight.OK})
			}
			h.report.Results = append(h.report.Results, Result{Check: preflight.GuestKnowsHost.ID, Target: g.Name + " -> 10.234.100.1", Status: preflight.OK})
			if i%10 == k {
				h.report.Results = append(h.report.Results, Result{Check: preflight.GuestSetUp.ID, Target: g.Name, Status: preflight.OK})
			}
		}
		runs = append(runs, h)
	}
	for b.Loop() {
		if rs := siteChecks(Config{}.withDefaults(), runs); len(rs) != 10+2+4*1000 {
			b.Fatal(len(rs))
		}
	}
}
