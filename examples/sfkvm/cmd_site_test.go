package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"

	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/site"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
	"golang.org/x/crypto/ssh"
)

const siteConf = "guest11 cfhost1 cluster1 cfguest11 198.51.100.11 root D0860AB04E1B8FA3\n"

// siteHost is an sshtest host for sfkvm site: it answers cat of the two
// files and of root's known_hosts, and `PROGRAM preflight --format=json`.
func siteHost(t *testing.T, client ssh.PublicKey, cfname, program, conf, guestKey, report string) *sshtest.Server {
	t.Helper()
	info := fmt.Sprintf("format 1\nhost-cfname %s\nhost-ip 192.0.2.1\nweight-link on\n", cfname)
	srv, err := sshtest.Start(sshtest.Config{
		Users: map[string]sshtest.User{"root": {AuthorizedKeys: []ssh.PublicKey{client}}},
		Handler: func(c sshtest.Command) sshtest.Reply {
			a := c.Args
			switch {
			case strings.Join(a, " ") == "cat -- /etc/opt/FJSVcluster/etc/kvmguests.conf":
				return sshtest.Reply{Stdout: conf}
			case strings.Join(a, " ") == "cat -- /var/lib/sfkvm/hostinfo":
				return sshtest.Reply{Stdout: info}
			case strings.Join(a, " ") == "cat -- /root/.ssh/known_hosts":
				return sshtest.Reply{Stdout: "198.51.100.11 " + guestKey + "\n"}
			case strings.Join(a, " ") == program+" preflight --format=json --key /k":
				return sshtest.Reply{Stdout: report}
			}
			return sshtest.NotFound(a[0])
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func publicKeyOf(t *testing.T, path string) ssh.PublicKey {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.ParsePrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k.PublicKey()
}

func guestKey(t *testing.T) string {
	k, err := sshtest.NewHostKey("ed25519")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k.PublicKey())))
}

func TestSite(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	dir := t.TempDir()
	id := writeIdentity(t, dir, "id", "", 0o600)
	client := publicKeyOf(t, id)
	key := guestKey(t)
	report, err := json.Marshal(preflight.Report{Schema: preflight.Schema, Results: []preflight.Result{
		{Check: preflight.GuestKnowsHost.ID, Step: "5", Title: "guest knows host", Target: "guest11 -> 192.0.2.1", Status: preflight.OK, Reason: "known"},
	}, Counts: preflight.Counts{OK: 1}})
	if err != nil {
		t.Fatal(err)
	}
	running, err := json.Marshal(preflight.Report{Schema: preflight.Schema, Results: []preflight.Result{
		{Check: preflight.GuestSetUp.ID, Step: "3", Title: "guest set up", Target: "guest11", Status: preflight.OK, Reason: "set up"},
		{Check: preflight.GuestKnowsHost.ID, Step: "5", Title: "guest knows host", Target: "guest11 -> 192.0.2.2", Status: preflight.OK, Reason: "known"},
	}, Counts: preflight.Counts{OK: 2}})
	if err != nil {
		t.Fatal(err)
	}
	h1 := siteHost(t, client, "cfhost1", "/opt/sfkvm", siteConf, key, string(running))
	h2 := siteHost(t, client, "cfhost2", "/opt/sfkvm", siteConf, key, string(report))
	// a third host whose file was edited and whose guest key differs
	h3 := siteHost(t, client, "cfhost3", "/opt/sfkvm", siteConf+"# edited\n", guestKey(t), string(report))
	// a fourth that refuses connections
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close()

	kh := filepath.Join(dir, "known_hosts")
	var lines []string
	for _, s := range []*sshtest.Server{h1, h2, h3} {
		lines = append(lines, s.KnownHostsLine(s.Addr()))
	}
	if err := os.WriteFile(kh, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	common := []string{"site", "--identity", id, "--host-known-hosts", kh, "--sfkvm", "/opt/sfkvm", "--preflight-arg=--key", "--preflight-arg=/k"}

	r := runCLI(t, "", append(common, "--site-hosts", h1.Addr()+","+h2.Addr())...)
	if r.code != exitOK || !strings.Contains(r.stdout, "site: 2 of 2 hosts reached; ") || !strings.Contains(r.stdout, "runs on "+h1.Addr()+", set up there") || r.stderr != "" {
		t.Errorf("two good hosts: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	hf := filepath.Join(dir, "hosts")
	if err := os.WriteFile(hf, []byte("# the site\n"+h1.Addr()+"\n\n"+h2.Addr()+"  # second\n"+h3.Addr()+"\n"+down+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, "", append(common, "--site-hosts-file", hf, "--format=json", "--parallel", "2")...)
	var rep site.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != exitFailed || rep.Schema != "sfkvm.site/v1" || len(rep.Hosts) != 4 {
		t.Fatalf("four hosts: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	status := map[string]preflight.Status{}
	for _, x := range rep.Results {
		if x.Host == "" {
			status[string(x.Check)+" "+x.Target] = x.Status
		}
	}
	for k, want := range map[string]preflight.Status{
		"site.host " + h1.Addr():                            preflight.OK,
		"site.host " + h3.Addr():                            preflight.OK,
		"site.host " + down:                                 preflight.Fail,
		"site.conf /etc/opt/FJSVcluster/etc/kvmguests.conf": preflight.Fail,
		"site.guestkey guest11 198.51.100.11":               preflight.Fail,
		"site.hostcfname guest11":                           preflight.OK,
		"site.setup guest11":                                preflight.OK,
	} {
		if status[k] != want {
			t.Errorf("%s: %s, want %s", k, status[k], want)
		}
	}
}

func TestSiteUsage(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	two := filepath.Join(dir, "two")
	os.WriteFile(empty, []byte("# nothing\n"), 0o644)
	os.WriteFile(two, []byte("h1 h2\n"), 0o644)
	// Whoever can write the list can hide a host from the report: 77, as
	// for a key file of another user.
	open := filepath.Join(dir, "open")
	os.WriteFile(open, []byte("127.0.0.1:1\n"), 0o644) // loopback, should a mutation let it be read
	os.Chmod(open, 0o666)
	theirs := filepath.Join(dir, "theirs")
	os.WriteFile(theirs, []byte("127.0.0.1:1\n"), 0o644)
	if err := os.Chown(theirs, 4242, 4242); err != nil {
		t.Logf("not checking a file of another user: %v (needs root)", err)
		theirs = ""
	}
	linked := filepath.Join(dir, "linked")
	os.Symlink(empty, linked)
	fifo := filepath.Join(dir, "fifo")
	syscall.Mkfifo(fifo, 0o600)
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{}, exitUsage, "give --site-hosts or --site-hosts-file"},
		{[]string{"--site-hosts", "a", "--site-hosts-file", empty}, exitUsage, "give --site-hosts or --site-hosts-file"},
		{[]string{"--site-hosts", "a", "--parallel", "0"}, exitUsage, "must be positive"},
		{[]string{"--site-hosts", "a,,b"}, exitUsage, `host "": empty host`},
		{[]string{"--site-hosts", "a:99999"}, exitUsage, "from 1 to 65535"},
		{[]string{"--site-hosts-file", filepath.Join(dir, "none")}, exitNoInput, "no such file"},
		{[]string{"--site-hosts-file", empty}, exitConfig, "no hosts"},
		{[]string{"--site-hosts-file", two}, exitConfig, `:1: one host a line, not "h1 h2"`},
		{[]string{"--site-hosts-file", dir}, exitNoInput, "not a regular file (a folder)"},
		{[]string{"--site-hosts-file", fifo}, exitNoInput, "not a regular file (a FIFO)"},
		{[]string{"--site-hosts-file", open}, exitNoPerm, "mode 0666"},
		{[]string{"--site-hosts-file", linked}, exitNoPerm, "symbolic link"},
		{[]string{"--site-hosts-file", theirs}, exitNoPerm, "uid 4242, want root"},
		{[]string{"--site-hosts", "a", "--format=xml"}, exitUsage, "must be text or json"},
		{[]string{"--site-hosts", "a", "--identity", empty, "--host-password-file", empty}, exitUsage, "give --identity or --host-password-file, not both"},
		{[]string{"--site-hosts", "a", "--host-password-file", filepath.Join(dir, "none")}, exitNoInput, "--host-password-file: "},
		{[]string{"--site-hosts", "a", "--host-password-file", open}, exitNoPerm, "--host-password-file: "},
	} {
		if len(tc.args) == 2 && tc.args[1] == "" {
			continue // the file of another user, when not root
		}
		r := runCLI(t, "", append([]string{"site"}, tc.args...)...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.says) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tc.args, r.code, r.stderr, tc.code, tc.says)
		}
	}
}

// TestSiteMemoryLimit: while the site runs the collector keeps the heap
// under 192 MiB (a 60 MiB report peaked at 258 MiB of RSS without it), and
// the limit before is restored; a GOMEMLIMIT of the user's wins.
func TestSiteMemoryLimit(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	before := debug.SetMemoryLimit(-1)
	restore := siteMemoryLimit()
	if got := debug.SetMemoryLimit(-1); got != 192<<20 {
		t.Errorf("limit while the site runs: %d", got)
	}
	restore()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("limit after: %d, want %d again", got, before)
	}
	t.Setenv("GOMEMLIMIT", "1GiB")
	restore = siteMemoryLimit()
	got := debug.SetMemoryLimit(-1)
	restore()
	if got != before {
		t.Errorf("with GOMEMLIMIT set: limit %d", got)
	}
}
