package site_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sfkvm/sfkvm/site"
	"github.com/sfkvm/sfkvm/sshcheck"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
	"golang.org/x/crypto/ssh"
)

// A site of one host that answers everything but sfkvm preflight: the
// host is a row, and the site checks say what they could still see.
func ExampleRun() {
	client, _ := sshtest.NewHostKey("ed25519")
	srv, err := sshtest.Start(sshtest.Config{
		Users: map[string]sshtest.User{"root": {AuthorizedKeys: []ssh.PublicKey{client.PublicKey()}}},
		Handler: sshtest.Script{
			"cat -- /etc/opt/FJSVcluster/etc/kvmguests.conf": {Stdout: "guest11 cfhost1 cluster1 cfguest11 198.51.100.11 root D0860AB04E1B8FA3\n"},
			"cat -- /var/lib/sfkvm/hostinfo":                 {Stdout: "format 1\nhost-cfname cfhost1\nhost-ip 192.0.2.1\nweight-link on\n"},
		}.Handler,
	})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	dir, _ := os.MkdirTemp("", "site-example-")
	defer os.RemoveAll(dir)
	kh := filepath.Join(dir, "known_hosts")
	os.WriteFile(kh, []byte(srv.KnownHostsLine("192.0.2.1:22")+"\n"), 0o600)
	routes := sshtest.Routes{"192.0.2.1:22": srv.Addr()}
	p, _ := sshcheck.New(sshcheck.Options{KnownHostsFiles: []string{kh}, GlobalKnownHostsFiles: []string{}, DialContext: routes.DialContext})

	rep := site.Run(context.Background(), site.Config{
		Hosts:  []sshcheck.Target{{Name: "h1", Address: "192.0.2.1", Keys: staticKeys{client}}},
		Prober: p,
	})
	for _, r := range rep.Results {
		fmt.Println(r.Check, r.Target, r.Status)
	}
	fmt.Println(rep.Hosts[0].CFName, rep.Failed(), rep.Results[0].Reason)
	// Output:
	// site.host h1 FAIL
	// site.conf /etc/opt/FJSVcluster/etc/kvmguests.conf OK
	// site.weightlink (every host) OK
	// site.hostcfname guest11 OK
	// site.guestkey guest11 198.51.100.11 FAIL
	// site.setup guest11 SKIP
	// site.knowshost guest11 SKIP
	// cfhost1 true sfkvm preflight did not run: sfkvm is not on the host (exit 127): give its path (--sfkvm)
}

// ParseHost reads a host as --hosts and a hosts file give it.
func ExampleParseHost() {
	for _, w := range []string{"10.0.0.2", "cfhost3:2222", "[fd00::4]:22", "a:99999"} {
		t, err := site.ParseHost(w)
		if err != nil {
			fmt.Println(w, "->", err)
			continue
		}
		fmt.Println(w, "->", t.Address, t.Port)
	}
	// Output:
	// 10.0.0.2 -> 10.0.0.2 0
	// cfhost3:2222 -> cfhost3 2222
	// [fd00::4]:22 -> fd00::4 22
	// a:99999 -> port "99999" is not a number from 1 to 65535
}

// What one host's `sfkvm preflight --format=json` printed, read as Run
// reads it (sfkvm enroll runs it on each host itself): its rows, named by
// the host, and its counts; a preflight that did not run gives no report.
func ExampleReadPreflight() {
	out := []byte(`{"schema": "sfkvm.preflight/v1", "results": [
  {"check": "guest.login", "step": "1.5", "title": "guest login", "target": "guest7 10.0.0.7", "status": "OK", "reason": "logged in"},
  {"check": "guest.knowshost", "step": "5", "title": "guest knows host", "target": "guest7 -> 10.0.0.2", "status": "FAIL", "reason": "no host key for 10.0.0.2"}],
 "counts": {"ok": 1, "warn": 0, "fail": 1, "skip": 0}}`)
	hp, err := site.ReadPreflight(context.Background(), "cfhost2", "sfkvm", out, nil, 1)
	if err != nil {
		panic(err)
	}
	for _, r := range hp.Results {
		fmt.Println(r.Host, r.Status, r.Check, r.Target)
	}
	fmt.Printf("%+v\n", hp.Counts)
	_, err = site.ReadPreflight(context.Background(), "cfhost3", "/opt/sfkvm", nil, []byte("sh: /opt/sfkvm: not found\n"), 127)
	fmt.Println(err)
	// Output:
	// cfhost2 OK guest.login guest7 10.0.0.7
	// cfhost2 FAIL guest.knowshost guest7 -> 10.0.0.2
	// {OK:1 Warn:0 Fail:1 Skip:0}
	// sfkvm preflight did not run: /opt/sfkvm is not on the host (exit 127): give its path (--sfkvm)
}
