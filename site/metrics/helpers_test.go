package metrics_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/site"
	"github.com/sfkvm/sfkvm/sshcheck"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// staticKeys is a KeySource of keys in memory.
type staticKeys []ssh.Signer

func (s staticKeys) Signers(context.Context) ([]ssh.Signer, func(), error) {
	return s, func() {}, nil
}

const conf = "guest11 cfhost1 cluster1 cfguest11 198.51.100.11 root D0860AB04E1B8FA3\n"

// siteReport is what site.Run makes of three hosts: h1 whose guest's sudo
// FAILs, h2 with another copy of kvmguests.conf, and h3 that refuses the
// connection.
func siteReport(t *testing.T) site.Report {
	t.Helper()
	client, err := sshtest.NewHostKey("ed25519")
	if err != nil {
		t.Fatal(err)
	}
	guestKey, err := sshtest.NewHostKey("ed25519")
	if err != nil {
		t.Fatal(err)
	}
	known := "198.51.100.11 " + string(ssh.MarshalAuthorizedKey(guestKey.PublicKey()))
	report := func(sudo preflight.Status) string {
		counts := preflight.Counts{OK: 1, Fail: 1} // the site reads only reports whose counts are their rows'
		if sudo == preflight.OK {
			counts = preflight.Counts{OK: 2}
		}
		b, err := json.Marshal(preflight.Report{Schema: preflight.Schema, Results: []preflight.Result{
			{Check: preflight.GuestSudo.ID, Step: "1.2", Title: "sudo NOPASSWD", Target: "guest11 198.51.100.11", Status: sudo, Reason: "sudo"},
			{Check: preflight.GuestSetUp.ID, Step: "3", Title: "guest set up", Target: "guest11", Status: preflight.OK, Reason: "set up"},
		}, Counts: counts})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	routes := sshtest.Routes{}
	var lines []string
	var hosts []sshcheck.Target
	for i, h := range []struct {
		name, conf string
		sudo       preflight.Status
	}{{"h1", conf, preflight.Fail}, {"h2", conf + "# edited\n", preflight.OK}} {
		addr := "192.0.2." + string(rune('1'+i)) + ":22"
		srv, err := sshtest.Start(sshtest.Config{
			Users: map[string]sshtest.User{"root": {AuthorizedKeys: []ssh.PublicKey{client.PublicKey()}}},
			Handler: sshtest.Script{
				"cat -- /etc/opt/FJSVcluster/etc/kvmguests.conf": {Stdout: h.conf},
				"cat -- /var/lib/sfkvm/hostinfo":                 {Stdout: "format 1\nhost-cfname cfhost" + string(rune('1'+i)) + "\nhost-ip 192.0.2.1\nweight-link on\n"},
				"cat -- /root/.ssh/known_hosts":                  {Stdout: known},
				"sfkvm preflight --format=json":                  {Stdout: report(h.sudo), ExitStatus: 1},
			}.Handler,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		routes[addr] = srv.Addr()
		lines = append(lines, srv.KnownHostsLine(addr))
		hosts = append(hosts, sshcheck.Target{Name: h.name, Address: addr[:len(addr)-3], Keys: staticKeys{client}})
	}
	hosts = append(hosts, sshcheck.Target{Name: "h3", Address: "192.0.2.3", Keys: staticKeys{client}})
	kh := filepath.Join(t.TempDir(), "known_hosts")
	text := ""
	for _, l := range lines {
		text += l + "\n"
	}
	if err := os.WriteFile(kh, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := sshcheck.New(sshcheck.Options{KnownHostsFiles: []string{kh}, GlobalKnownHostsFiles: []string{}, DialContext: routes.DialContext})
	if err != nil {
		t.Fatal(err)
	}
	return site.Run(context.Background(), site.Config{Hosts: hosts, Prober: p})
}
