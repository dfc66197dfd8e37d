package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/libvirtdtest"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/rpcstore"
)

// The facts that --domain and --host-cfname would give are found instead:
// the domain whose UUID is the guest's SMBIOS UUID, in a real (session)
// libvirt daemon reached over its socket by the pure-Go RPC store, and the
// CF node name of the host that has it from its registration; then the
// domain, shut off, gets the host information disk there.
func TestEnrollFindsTheDomainByUUID(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	d := libvirtdtest.Start(t)
	l := newEnrollLab(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := rpcstore.Open(ctx, d.URI)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir := t.TempDir()
	for name, uuid := range map[string]string{"guest7": enrollUUID, "other": "0b7e2f61-4c1a-4d0e-8f3b-9a5c6d7e8f90"} {
		x := strings.Replace(libvirtdtest.GuestXML(t, dir, name, ""), "</name>", "</name><uuid>"+uuid+"</uuid>", 1)
		if err := s.Define(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	hostinfo := l.hostinfo // registered as cfhost1
	// Without --domain and --host-cfname.
	args := l.args()
	var kept []string
	for i := 0; i < len(args); i++ {
		if args[i] == "--domain" || args[i] == "--host-cfname" {
			i++
			continue
		}
		kept = append(kept, args[i])
	}
	kept = append(kept[:len(kept)-1], "--connect", d.URI, kept[len(kept)-1])
	r := runCLI(t, enrollPW+"\n", kept...)
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"domain        guest7 (libvirt domain with UUID " + enrollUUID + " on this host)",
		"host-cfname   cfhost1 (registration of this host (migratesetup -c))", "done      disk"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the report lacks %q:\n%s", want, r.stdout)
		}
	}
	x, err := s.InactiveXML(ctx, "guest7")
	if err != nil {
		t.Fatal(err)
	}
	if in, err := migratesetup.HasHostInfoDisk(x, hostinfo); err != nil || !in.SetUp {
		t.Errorf("guest7 has no host information disk: %v\n%s", err, x)
	}
	if x, _ := s.InactiveXML(ctx, "other"); strings.Contains(x, hostinfo) {
		t.Error("the other domain was changed")
	}
}

// The domain runs on another host: the guest's SMBIOS UUID is not among
// this host's libvirt domains but among cfhost2's, reached through
// sfkvm's own SSH to that host (the same --connect URI there names that
// host's own daemon: its socket folder is another daemon's, bound in its
// mount namespace); its host CF name is that host's registration, read
// there; the disk is set up there. This host's domains are left alone.
func TestEnrollFindsTheDomainOnAnotherHost(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	here := libvirtdtest.Start(t)
	there := libvirtdtest.Start(t)
	l := newEnrollLabWith(t, 2, labOptions{routed: true, hostSetup: func(i int) string {
		if i != 0 {
			return ""
		}
		return "mount --bind " + filepath.Dir(there.Socket) + " " + filepath.Dir(here.Socket)
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	define := func(d *libvirtdtest.Daemon, name, uuid string) {
		s, err := rpcstore.Open(ctx, d.URI)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		x := strings.Replace(libvirtdtest.GuestXML(t, dir, name, ""), "</name>", "</name><uuid>"+uuid+"</uuid>", 1)
		if err := s.Define(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	define(here, "other", "0b7e2f61-4c1a-4d0e-8f3b-9a5c6d7e8f90")
	define(there, "guest7", enrollUUID)
	hereBefore := inactiveXML(t, ctx, here, "other")

	// sfkvm's own SSH to the hosts, by address, without --domain and
	// --host-cfname.
	args := without(without(without(without(l.args("--no-preflight"), "--domain"), "--host-cfname"), "--ssh-config"), "--hosts")
	args = append(args[:len(args)-1], "--hosts", strings.Join(l.hostIPs, ","), "--identity", l.hostIdentity, "--connect", here.URI, l.ip)
	r := runCLI(t, enrollPW+"\n", args...)
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	h := l.hostIPs[0]
	for _, want := range []string{"domain        guest7 (libvirt domain with UUID " + enrollUUID + " on " + h + ")",
		"host-cfname   cfhost2 (registration of " + h + " (migratesetup -c))", "done      disk       the host information disk is in guest7's definition on " + h} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the report lacks %q:\n%s", want, r.stdout)
		}
	}
	gs := l.identical(t)
	if len(gs) != 2 || gs[1].Name != "guest7" || gs[1].HostCFName != "cfhost2" {
		t.Errorf("the file's guests: %v", gs)
	}
	if in, err := migratesetup.HasHostInfoDisk(inactiveXML(t, ctx, there, "guest7"), l.hostinfo); err != nil || !in.SetUp {
		t.Errorf("guest7 on cfhost2 has no host information disk: %v", err)
	}
	if now := inactiveXML(t, ctx, here, "other"); now != hereBefore {
		t.Errorf("this host's domain changed:\n%s\n%s", hereBefore, now)
	}
}

func inactiveXML(t *testing.T, ctx context.Context, d *libvirtdtest.Daemon, name string) string {
	t.Helper()
	s, err := rpcstore.Open(ctx, d.URI)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	x, err := s.InactiveXML(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return x
}
