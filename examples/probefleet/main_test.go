package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/sshcheck"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// TestProbeFleet probes two in-process guests behind documentation
// addresses: one whose key is known, one never seen.
func TestProbeFleet(t *testing.T) {
	dir := t.TempDir()
	users := map[string]sshtest.User{"user1": {Password: "Passw0rd"}}
	known, err := sshtest.Start(sshtest.Config{Users: users})
	if err != nil {
		t.Fatal(err)
	}
	defer known.Close()
	unknown, err := sshtest.Start(sshtest.Config{Users: users})
	if err != nil {
		t.Fatal(err)
	}
	defer unknown.Close()
	routes := sshtest.Routes{"192.0.2.11:22": known.Addr(), "192.0.2.12:22": unknown.Addr()}
	conf := filepath.Join(dir, "kvmguests.conf")
	os.WriteFile(conf, []byte("guest11 cfhost1 cluster1 cfguest11 192.0.2.11 user1 D0860AB04E1B8FA3\n"+
		"guest12 cfhost2 cluster1 cfguest12 192.0.2.12 user1 D0860AB04E1B8FA3\n"), 0o600)
	knownHosts := filepath.Join(dir, "known_hosts")
	// Record guest11's key the way an administrator's first login does.
	p, _ := sshcheck.New(sshcheck.Options{KnownHostsFiles: []string{knownHosts}, GlobalKnownHostsFiles: []string{},
		HostKeyPolicy: sshcheck.TrustUnknown, DialContext: routes.DialContext})
	if r := p.Probe(context.Background(), sshcheck.Target{Address: "192.0.2.11", User: "user1", Password: cipher.SecretFromString("Passw0rd")}); !r.OK() {
		t.Fatal(r.Err)
	}

	reports, err := probe(context.Background(), conf, strings.NewReader("Passw0rd\n"),
		sshcheck.Options{KnownHostsFiles: []string{knownHosts}, GlobalKnownHostsFiles: []string{}, DialContext: routes.DialContext})
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 2 || !reports[0].OK || reports[1].OK || reports[1].Problem != "host key unknown" {
		t.Fatalf("reports = %+v", reports)
	}
}
