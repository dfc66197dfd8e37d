package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/cipher/sfciphertest"
	"github.com/sfkvm/sfkvm/enroll"
)

// without returns args without the flag name and its value.
func without(args []string, name string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if args[i] == name {
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
}

// keyBlob is the base64 of a known_hosts line's key.
func keyBlob(line string) string { return line[strings.LastIndexByte(line, ' ')+1:] }

// Without --host-addresses, step 5's addresses are the hosts'
// registrations (this host's read here, the others' over the run's SSH),
// each shown with where it came from; the run ends with preflight for
// the guest on this host and on every other host (the built sfkvm there,
// the password on its stdin), one entry a host. The hosts reach the
// guest, so the guest's own rows (its key, the login, sudo, step 5) are
// OK on every host: the other hosts' preflight logged in with the
// password and found each host's key in the guest.
//
// Here the tokens are the vendor's (a fake sfcipher) and the guest is the
// site's first, so every host's preflight reads the password on its
// stdin and finds its file without a problem. With sfkvm's sealed tokens
// (--key), the hosts open the token with the key at the same path: their
// file's check then warns of sealed tokens as this host's does, rather
// than failing.
func TestEnrollPreflightOnEveryHost(t *testing.T) {
	t.Parallel()
	for _, sealed := range []bool{false, true} {
		t.Run(map[bool]string{false: "sfcipher", true: "sealed"}[sealed], func(t *testing.T) { enrollPreflightOnEveryHost(t, sealed, false) })
	}
	// The hosts' keys in a file of their own (--host-known-hosts), the
	// guests' file empty until the run records the guest's key: step 5
	// checks the hosts' keys there, and the run goes as well.
	t.Run("host-known-hosts", func(t *testing.T) { enrollPreflightOnEveryHost(t, true, true) })
}

func enrollPreflightOnEveryHost(t *testing.T, sealed, apart bool) {
	l := newEnrollLabWith(t, 2, labOptions{routed: true})
	args := without(l.args("--sfkvm", cliBinary(t), "--format=json"), "--host-addresses")
	if apart {
		hostKnown := filepath.Join(l.dir, "hosts_known_hosts")
		b, err := os.ReadFile(l.known)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, hostKnown, string(b), 0o600)
		writeFile(t, l.known, "", 0o600)
		// The system's ssh reaches the hosts through the lab's ssh_config:
		// their keys are in the hosts' file there too.
		cfg, err := os.ReadFile(l.sshConfig)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, l.sshConfig, strings.ReplaceAll(string(cfg), l.known, hostKnown), 0o600)
		args = append(args[:len(args)-1], "--host-known-hosts", hostKnown, args[len(args)-1])
	}
	if !sealed {
		for _, f := range append([]string{l.conf}, l.hostFiles...) {
			os.Remove(f)
		}
		var vendor []string
		for _, a := range without(args, "--key") {
			if a != "--native" && a != l.ip {
				vendor = append(vendor, a)
			}
		}
		args = append(vendor, "--sfcipher", fakeSfcipher(t, sfciphertest.OK), l.ip)
	}
	r := runCLI(t, enrollPW+"\n", args...)
	if r.code != exitOK || strings.Contains(r.stdout+r.stderr, enrollPW) {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var rep enroll.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	// Step 5 from the registrations.
	want := []enroll.HostAddress{{Host: "this host", Address: l.thisIP + ":22", Source: "registration of this host (" + l.hostinfo + ")"},
		{Host: "cfhost2", Address: l.hostIPs[0] + ":22", Source: "registration of cfhost2 (" + l.hostinfo + ")"},
		{Host: "cfhost3", Address: l.hostIPs[1] + ":22", Source: "registration of cfhost3 (" + l.hostinfo + ")"}}
	if len(rep.HostAddresses) != len(want) {
		t.Fatalf("host addresses %+v, want %+v", rep.HostAddresses, want)
	}
	for i := range want {
		if rep.HostAddresses[i] != want[i] {
			t.Errorf("host address %d: %+v, want %+v", i, rep.HostAddresses[i], want[i])
		}
	}
	gk, err := os.ReadFile(l.guestFile("/root/.ssh/known_hosts"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(gk), keyBlob(l.this.KnownHostsLine(l.thisIP, 22, "ssh-ed25519"))) {
		t.Error("the guest's root known_hosts lacks this host's key")
	}
	for i, h := range l.hosts {
		if !strings.Contains(string(gk), keyBlob(h.KnownHostsLine(l.hostIPs[i], 22, "ssh-ed25519"))) {
			t.Errorf("the guest's root known_hosts lacks host %d's key", i)
		}
	}
	// Preflight on every host.
	if len(rep.Preflight) != 3 {
		t.Fatalf("preflight on %d hosts, want 3: %+v", len(rep.Preflight), rep.Preflight)
	}
	for i, name := range []string{"this host", "cfhost2", "cfhost3"} {
		h := rep.Preflight[i]
		if h.Host != name || h.Err != nil || h.Counts.OK < 5 {
			t.Errorf("preflight on %s: %+v", name, h)
			continue
		}
		for _, l := range h.Left {
			if strings.HasPrefix(l, "FAIL conf.syntax ") || !sealed && strings.Contains(l, " conf.syntax ") {
				t.Errorf("preflight on %s: the file's check is left: %s", name, l)
			}
			for _, guestRow := range []string{"guest.hostkey", "guest.login", "guest.sudo", "guest.names", "guest.knowshost"} {
				if strings.Contains(l, " "+guestRow+" ") {
					t.Errorf("preflight on %s: %s is left: %s", name, guestRow, l)
				}
			}
		}
		t.Logf("preflight on %s: %+v", name, h)
	}
	// The text report: a line per host.
	var b strings.Builder
	rep.WriteText(&b)
	for _, name := range []string{"this host", "cfhost2", "cfhost3"} {
		if !strings.Contains(b.String(), "preflight "+name+" ") {
			t.Errorf("the text report has no preflight line for %s:\n%s", name, b.String())
		}
	}
}
