package main

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sfkvm/sfkvm/internal/libvirtdtest"
	"github.com/sfkvm/sfkvm/internal/sshdtest"
	"github.com/sfkvm/sfkvm/migrate/migratetest"
	"github.com/sfkvm/sfkvm/migratesetup"
)

// The real hosts' side of sfkvm migrate: this host's libvirt (a session
// daemon) and the other host's, reached through a real sshd by key (the
// daemon's socket forwarded, rpcstore over it) with its registration read
// there by cat. Here "the other host" is this machine again, so both
// registrations are one file: the run reaches and reads both hosts, then
// refuses (one registration for two hosts, no such domain) and changes
// nothing.
func TestMigrateCommandReachesTheOtherHost(t *testing.T) {
	d := libvirtdtest.Start(t)
	m := newMigrateSite(t)
	migrateHostsHook = nil // the real hosts

	id := writeIdentity(t, m.dir, "id_host", "", 0o600)
	ak := writeFile(t, filepath.Join(m.dir, "authorized_keys"), string(ssh.MarshalAuthorizedKey(publicKeyOf(t, id))), 0o600)
	srv := sshdtest.Start(t, sshdtest.Config{Extra: []string{"AuthorizedKeysFile " + ak}})
	// The other host is at a documentation address that the lab routes
	// send to the sshd, as they send the nodes' to their servers; its key
	// is in a file of its own (--host-known-hosts), apart from the nodes'.
	hostKnown := writeFile(t, filepath.Join(m.dir, "hosts_known_hosts"), srv.KnownHostsLine("192.0.2.2", 22, "ssh-ed25519")+"\n", 0o600)
	routes, err := os.ReadFile(m.routes)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, m.routes, string(routes)+"192.0.2.2:22 "+srv.Addr+"\n", 0o600)

	hostinfo := filepath.Join(m.dir, "hostinfo")
	if err := migratesetup.Register(context.Background(), hostinfo, migratesetup.HostInfo{CFName: "cfhost1", IP: netip.MustParseAddr("192.0.2.1")}); err != nil {
		t.Fatal(err)
	}
	to := "192.0.2.2"
	args := m.args("migrate", "guest11", "--to", to, "--guard", "--format=json", "--connect", d.URI, "--hostinfo", hostinfo,
		"--identity", id, "--host-known-hosts", hostKnown)
	r := runCLI(t, migratetest.Password+"\n", args...)
	t.Logf("%+v", r)
	if r.code != exitFailed {
		t.Fatalf("exit %d", r.code)
	}
	var rep struct {
		Outcome string `json:"outcome"`
		Checks  []struct {
			ID     string `json:"check"`
			Target string `json:"target"`
			Status string `json:"status"`
			Reason string `json:"reason"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range rep.Checks {
		got[c.ID+" "+c.Target] = c.Status
	}
	for k, want := range map[string]string{
		"host.registered cfhost1": "OK", "host.registered " + to: "OK",
		"host.distinct " + to: "FAIL", "domain.running guest11": "FAIL",
	} {
		if got[k] != want {
			t.Errorf("%s: %q, want %s", k, got[k], want)
		}
	}
	if rep.Outcome != "refused" {
		t.Errorf("outcome %s", rep.Outcome)
	}
	for _, n := range []string{"cfguest11", "cfguest12"} {
		if st := m.Cluster.Node(n); st.Timeout != "10" || !st.Facility {
			t.Errorf("%s changed by a refused run: %+v", n, st)
		}
	}
}
