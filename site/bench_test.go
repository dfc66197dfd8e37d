package site

import (
	"fmt"
	"strings"
	"testing"

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
		if got := matchKnownHosts(data, want); len(got) != 1000 {
			b.Fatal(len(got))
		}
	}
}
