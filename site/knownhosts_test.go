package site_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/site"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
	"golang.org/x/crypto/ssh/knownhosts"
)

// TestKnownHostsCap: root's known_hosts of a host is read up to a sane
// cap, MaxKnownHosts, and no further: the guests' keys are then not
// compared on that host.
func TestKnownHostsCap(t *testing.T) {
	if site.MaxKnownHosts > 64<<20 {
		t.Fatalf("MaxKnownHosts is %d: a host's known_hosts sits in memory whole", site.MaxKnownHosts)
	}
	s := twoHosts()
	line := []byte(knownhosts.HashHostname("192.0.2.99") + " " + s.guests[0].key + "\n")
	s.hosts[1].knownHosts = &sshtest.Reply{Stream: func(stdout, _ io.Writer) {
		for n := 0; n <= site.MaxKnownHosts; n += len(line) {
			if _, err := stdout.Write(line); err != nil {
				return
			}
		}
	}}
	s.start(t)
	rep := site.Run(context.Background(), s.cfg)
	if r := row(t, rep, site.GuestKeySame.ID, "guest01 198.51.100.1"); r.Status != preflight.Fail || !strings.Contains(r.Reason, "known_hosts not read on h2") {
		t.Errorf("site.guestkey: %+v", r)
	}
}

// TestKnownHostsMatchingIsBounded: matching many guests against many
// hashed lines (each line has its own salt, so each name is hashed for
// each line) is work of the host's, stopped by its timeout; 40,000 guests
// and 4,000 hashed lines were a minute of CPU after the host timed out.
// Here 80 million HMACs (8 s or more on this project's machine) against
// a host's 1 s: h2's row fails, saying that its time ran out.
//
// Where the matching stops is TestMatchKnownHostsStopsAtTheDeadline's
// (package site): here, on a machine busy enough (the race detector, the
// whole suite on two CPUs), the reads before the matching may use up the
// host's time themselves, and the row says so instead. A bound of 4 s on
// site.Run's wall clock failed once so (5.3 s); it is gone.
func TestKnownHostsMatchingIsBounded(t *testing.T) {
	const guests, lines = 10_000, 8_000
	s := twoHosts()
	var conf, known strings.Builder
	conf.WriteString(s.confText())
	for i := range guests {
		fmt.Fprintf(&conf, "g%05d cfhost1 cluster1 cfg%05d 10.1.%d.%d root D0860AB04E1B8FA3\n", i, i, i/250, i%250+1)
	}
	for i := range lines {
		fmt.Fprintf(&known, "%s %s\n", knownhosts.HashHostname(fmt.Sprintf("10.9.%d.%d", i/250, i%250+1)), s.guests[0].key)
	}
	s.hosts[1].conf = conf.String()
	s.hosts[1].knownHosts = &sshtest.Reply{Stdout: known.String()}
	s.start(t)
	s.cfg.HostTimeout = time.Second
	rep := site.Run(context.Background(), s.cfg)
	r := row(t, rep, site.HostReached.ID, "h2")
	if r.Status != preflight.Fail || !strings.Contains(r.Reason, "its time (1s) ran out before its files were read") {
		t.Errorf("h2 used more than its time and is not FAIL for it: %+v", r)
	}
}

// TestReadsBesidePreflight: a host's files are read while its preflight
// runs (a session each on the host's one connection), not before it:
// here each host sends its known_hosts only once its preflight has
// started, so reads done first would wait out the host's time and make
// its site.host row FAIL.
func TestReadsBesidePreflight(t *testing.T) {
	s := twoHosts()
	for _, h := range s.hosts {
		started := make(chan struct{})
		h.onPreflight = sync.OnceFunc(func() { close(started) })
		text := s.knownHostsText(h)
		h.knownHosts = &sshtest.Reply{Stream: func(stdout, _ io.Writer) {
			select {
			case <-started:
				io.WriteString(stdout, text)
			case <-time.After(6 * time.Second): // the host's time is out by then
			}
		}}
	}
	s.start(t)
	s.cfg.HostTimeout = 5 * time.Second
	rep := site.Run(context.Background(), s.cfg)
	for _, h := range []string{"h1", "h2"} {
		if r := row(t, rep, site.HostReached.ID, h); r.Status != preflight.OK {
			t.Errorf("site.host %s: %+v", h, r)
		}
	}
	if r := row(t, rep, site.GuestKeySame.ID, "guest01 198.51.100.1"); r.Status != preflight.OK {
		t.Errorf("site.guestkey: %+v", r)
	}
}
