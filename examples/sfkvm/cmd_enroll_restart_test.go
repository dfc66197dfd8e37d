package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"
	"github.com/digitalocean/go-libvirt/socket/dialers"
	"github.com/sfkvm/sfkvm/internal/libvirtdtest"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/rpcstore"
)

// The guest's domain runs (a QEMU guest of a session daemon, found by the
// guest's UUID). Without --restart its disk is left, the exact command
// printed, the domain untouched. Made transient, --restart refuses it:
// it keeps running, unchanged, and the command printed defines it first.
// Defined again, --restart (--force: the QEMU guest has no OS to answer
// ACPI) stops and starts it with the disk: a new run of the domain (a new
// ID), running, the disk in its definition.
func TestEnrollRestart(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	d := libvirtdtest.Start(t)
	l := newEnrollLab(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := rpcstore.Open(ctx, d.URI)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	x := strings.Replace(libvirtdtest.GuestXML(t, t.TempDir(), "guest7", ""), "</name>", "</name><uuid>"+enrollUUID+"</uuid>", 1)
	if err := s.Define(ctx, x); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx, "guest7"); err != nil {
		t.Fatalf("starting guest7: %v\n%s", err, d.Log())
	}
	raw := libvirt.NewWithDialer(dialers.NewLocal(dialers.WithSocket(d.Socket), dialers.WithLocalTimeout(10*time.Second)))
	if err := raw.ConnectToURI(libvirt.QEMUSession); err != nil {
		t.Fatal(err)
	}
	defer raw.Disconnect()
	id := func() int32 {
		dom, err := raw.DomainLookupByName("guest7")
		if err != nil {
			t.Fatal(err)
		}
		return dom.ID
	}
	running := func(why string) {
		if st, err := s.State(ctx, "guest7"); err != nil || st != migratesetup.StateRunning {
			t.Fatalf("%s: guest7 is %v (%v), want running", why, st, err)
		}
	}
	hasDisk := func() bool {
		x, err := s.InactiveXML(ctx, "guest7")
		if err != nil {
			t.Fatal(err)
		}
		in, err := migratesetup.HasHostInfoDisk(x, l.hostinfo)
		return err == nil && in.SetUp
	}
	base := without(without(l.args("--no-preflight"), "--domain"), "--host-cfname")
	args := append(base[:len(base)-1:len(base)-1], "--connect", d.URI, l.ip)
	withArgs := func(more ...string) []string {
		return append(append(append([]string{}, args[:len(args)-1]...), more...), l.ip)
	}

	// Without --restart: left, and the command that does it.
	first := id()
	r := runCLI(t, enrollPW+"\n", args...)
	if r.code != exitOK || !strings.Contains(r.stdout, "left      disk") ||
		!strings.Contains(r.stdout, "next: sfkvm migratesetup -s guest7 --restart   (on this host)\n") {
		t.Fatalf("without --restart: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	running("without --restart")
	if id() != first || hasDisk() {
		t.Fatal("without --restart the domain was restarted or changed")
	}

	// Transient: refused, left running as it was.
	dom, _ := raw.DomainLookupByName("guest7")
	if err := raw.DomainUndefine(dom); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, enrollPW+"\n", withArgs("--restart", "--force", "--shutdown-timeout", "2s")...)
	if r.code != exitOK || !strings.Contains(r.stdout, "left      disk       refused: guest7 is transient") ||
		!strings.Contains(r.stdout, "next: virsh dumpxml guest7 > guest7.xml && virsh define guest7.xml   (on this host), then sfkvm migratesetup -s guest7 --restart") {
		t.Fatalf("transient: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	running("transient")
	if id() != first {
		t.Fatal("the transient domain was restarted")
	}

	// Defined again: --restart gives it the disk.
	if err := s.Define(ctx, x); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, enrollPW+"\n", withArgs("--restart", "--force", "--shutdown-timeout", "2s")...)
	if r.code != exitOK || !strings.Contains(r.stdout, "done      disk       the host information disk is in guest7's definition on this host") {
		t.Fatalf("--restart: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	running("after --restart")
	if id() == first || !hasDisk() {
		t.Errorf("after --restart: the same run of the domain (ID %d), or no disk (%v)", id(), hasDisk())
	}
	if gs := l.identical(t); len(gs) != 2 || gs[1].Name != "guest7" || gs[1].HostCFName != "cfhost1" {
		t.Errorf("the file's guests: %v", gs)
	}
}
