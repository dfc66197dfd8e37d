package site_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/site"
	"github.com/sfkvm/sfkvm/sshcheck"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
	"golang.org/x/crypto/ssh"
)

// staticKeys is a KeySource of keys in memory.
type staticKeys []ssh.Signer

func (s staticKeys) Signers(context.Context) ([]ssh.Signer, func(), error) {
	return s, func() {}, nil
}

// fakeGuest is a guest of the fake site: its line and its host key.
type fakeGuest struct {
	name, host, ip string
	key            string // "ssh-ed25519 AAAA..."
}

// fakeHost is one host of the fake site, an sshtest server that answers
// cat of the two files, the ssh-keygen -F script and sfkvm preflight.
type fakeHost struct {
	name, cfname, ip string
	weightOff        bool
	conf             string            // "" means the site's
	noConf, noInfo   bool              // the file is missing
	keys             map[string]string // guest IP -> key; nil means the guests' own
	running          []string          // guests running here
	notSetUp         string            // a running guest without the disk
	unknownHost      string            // a guest that does not know this host
	preflight        *sshtest.Reply    // replaces the report
	knownHosts       *sshtest.Reply    // replaces root's known_hosts
	onPreflight      func()            // called as its preflight starts
	down             bool              // a black hole
}

type fakeSite struct {
	guests []fakeGuest
	hosts  []*fakeHost
	cfg    site.Config
}

func newGuests(n int, hosts ...string) []fakeGuest {
	var gs []fakeGuest
	for i := range n {
		k, err := sshtest.NewHostKey("ed25519")
		if err != nil {
			panic(err)
		}
		gs = append(gs, fakeGuest{name: fmt.Sprintf("guest%02d", i+1), host: hosts[i%len(hosts)],
			ip: fmt.Sprintf("198.51.100.%d", i+1), key: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k.PublicKey())))})
	}
	return gs
}

func (s *fakeSite) confText() string {
	var b strings.Builder
	for _, g := range s.guests {
		fmt.Fprintf(&b, "%s %s cluster1 cf%s %s root D0860AB04E1B8FA3\n", g.name, g.host, g.name, g.ip)
	}
	return b.String()
}

// report is the host's preflight: guest.setup for the guests running
// there, guest.knowshost of every guest for this host.
func (s *fakeSite) report(h *fakeHost) []byte {
	var rs []preflight.Result
	for _, g := range h.running {
		r := preflight.Result{Check: preflight.GuestSetUp.ID, Step: "3", Title: "guest set up", Target: g, Status: preflight.OK, Reason: "set up"}
		if g == h.notSetUp {
			r.Status, r.Reason, r.Fix = preflight.Fail, "no host information disk", "sfkvm migratesetup -s "+g+" --restart"
		}
		rs = append(rs, r)
	}
	for _, g := range s.guests {
		r := preflight.Result{Check: preflight.GuestKnowsHost.ID, Step: "5", Title: "guest knows host", Target: g.name + " -> " + h.ip, Status: preflight.OK, Reason: "known"}
		if g.name == h.unknownHost {
			r.Status, r.Reason, r.Fix = preflight.Fail, "host key not in root's known_hosts", "ssh-keyscan"
		}
		rs = append(rs, r)
	}
	var c preflight.Counts
	for _, r := range rs {
		switch r.Status {
		case preflight.OK:
			c.OK++
		case preflight.Fail:
			c.Fail++
		}
	}
	b, err := json.Marshal(preflight.Report{Schema: preflight.Schema, Results: rs, Counts: c})
	if err != nil {
		panic(err)
	}
	return b
}

// knownHostsText is the host's root known_hosts: every guest's key, or
// the host's own (keys).
func (s *fakeSite) knownHostsText(h *fakeHost) string {
	var out strings.Builder
	for _, g := range s.guests {
		k := g.key
		if h.keys != nil {
			k = h.keys[g.ip]
		}
		if k != "" {
			fmt.Fprintf(&out, "%s %s\n", g.ip, k)
		}
	}
	return out.String()
}

func (s *fakeSite) handler(h *fakeHost) sshtest.Handler {
	return func(c sshtest.Command) sshtest.Reply {
		a := c.Args
		switch {
		case len(a) == 3 && a[0] == "cat" && a[2] == "/root/.ssh/known_hosts":
			if h.knownHosts != nil {
				return *h.knownHosts
			}
			return sshtest.Reply{Stdout: s.knownHostsText(h)}
		case len(a) == 3 && a[0] == "cat" && a[1] == "--":
			switch {
			case a[2] == "/etc/opt/FJSVcluster/etc/kvmguests.conf" && !h.noConf:
				if h.conf != "" {
					return sshtest.Reply{Stdout: h.conf}
				}
				return sshtest.Reply{Stdout: s.confText()}
			case a[2] == migratesetup.DefaultPath && !h.noInfo:
				b, err := migratesetup.HostInfo{CFName: h.cfname, IP: netip.MustParseAddr(h.ip), NoWeightLink: h.weightOff}.Format()
				if err != nil {
					panic(err)
				}
				return sshtest.Reply{Stdout: string(b)}
			}
			return sshtest.Reply{Stderr: "cat: " + a[2] + ": No such file or directory\n", ExitStatus: 1}
		case len(a) >= 3 && a[0] == "sfkvm" && a[1] == "preflight" && a[2] == "--format=json":
			if h.onPreflight != nil {
				h.onPreflight()
			}
			if h.preflight != nil {
				return *h.preflight
			}
			return sshtest.Reply{Stdout: string(s.report(h)), ExitStatus: 0}
		}
		return sshtest.Builtin(c)
	}
}

// start starts the hosts and fills in s.cfg to reach them.
func (s *fakeSite) start(t *testing.T) {
	t.Helper()
	client, err := sshtest.NewHostKey("ed25519")
	if err != nil {
		t.Fatal(err)
	}
	routes := sshtest.Routes{}
	var known []string
	for _, h := range s.hosts {
		addr := h.ip + ":22"
		if h.down {
			bh, err := sshtest.StartBlackHole("")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { bh.Close() })
			routes[addr] = bh.Addr()
		} else {
			srv, err := sshtest.Start(sshtest.Config{
				Users:   map[string]sshtest.User{"root": {AuthorizedKeys: []ssh.PublicKey{client.PublicKey()}}},
				Handler: s.handler(h),
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { srv.Close() })
			routes[addr] = srv.Addr()
			known = append(known, srv.KnownHostsLine(addr))
		}
		s.cfg.Hosts = append(s.cfg.Hosts, sshcheck.Target{Name: h.name, Address: h.ip, Keys: staticKeys{client}})
	}
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, []byte(strings.Join(known, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := sshcheck.New(sshcheck.Options{KnownHostsFiles: []string{kh}, GlobalKnownHostsFiles: []string{},
		DialContext: routes.DialContext, HandshakeTimeout: time.Second, CommandTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s.cfg.Prober = p
}

// twoHosts is a healthy site: guests 1 and 3 on cfhost1, 2 and 4 on cfhost2.
func twoHosts() *fakeSite {
	s := &fakeSite{guests: newGuests(4, "cfhost1", "cfhost2")}
	s.hosts = []*fakeHost{
		{name: "h1", cfname: "cfhost1", ip: "192.0.2.1", running: []string{"guest01", "guest03"}},
		{name: "h2", cfname: "cfhost2", ip: "192.0.2.2", running: []string{"guest02", "guest04"}},
	}
	return s
}

// row returns the one row of check id on target, failing the test if
// there is not exactly one.
func row(t *testing.T, rep site.Report, id preflight.ID, target string) site.Result {
	t.Helper()
	var found []site.Result
	for _, r := range rep.Of(id) {
		if r.Target == target && r.Host == "" {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d rows of %s on %q in %+v", len(found), id, target, rep.Of(id))
	}
	return found[0]
}
