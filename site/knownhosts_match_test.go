package site

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh/knownhosts"
)

// matchKnownHosts stops when its context ends, at the line it was on:
// 20,000 names against 4,000 hashed lines are 80 million HMACs (8 s or
// more on this project's machine), given 300 ms. The proof is where it
// stopped, not a wall clock, so a busy machine (the race detector, the
// whole suite on two CPUs) cannot fail it.
func TestMatchKnownHostsStopsAtTheDeadline(t *testing.T) {
	const names, lines = 20_000, 4_000
	want := map[string]bool{}
	for i := range names {
		want[fmt.Sprintf("10.1.%d.%d", i/250, i%250+1)] = true
	}
	var known strings.Builder
	for i := range lines {
		fmt.Fprintf(&known, "%s ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n", knownhosts.HashHostname(fmt.Sprintf("10.9.%d.%d", i/250, i%250+1)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := matchKnownHosts(ctx, []byte(known.String()), want)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("matching ended with %v, want it stopped at the deadline", err)
	}
	m := regexp.MustCompile(`stopped at line (\d+)`).FindStringSubmatch(err.Error())
	if m == nil {
		t.Fatalf("the error does not say where the matching stopped: %v", err)
	}
	if n, _ := strconv.Atoi(m[1]); n >= lines {
		t.Errorf("stopped at line %d of %d: it ran to its end", n, lines)
	}
}
