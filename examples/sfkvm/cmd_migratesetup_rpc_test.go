package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/libvirtdtest"
	"github.com/sfkvm/sfkvm/migratesetup/rpcstore"
)

// Where no daemon listens, the command says so, names the sockets and
// what to start, and exits 69; in every build.
func TestMigratesetupNoDaemon(t *testing.T) {
	hostinfo := filepath.Join(t.TempDir(), "hostinfo")
	if r := runCLI(t, "", "migratesetup", "-c", "-i", "10.20.30.40", "--cfname", "cfhost1", "--hostinfo", hostinfo); r.code != exitOK {
		t.Fatalf("%+v", r)
	}
	sock := filepath.Join(t.TempDir(), "libvirt-sock")
	r := runCLI(t, "", "migratesetup", "-s", "g1", "--hostinfo", hostinfo, "--connect", "qemu+unix:///system?socket="+sock)
	if r.code != exitUnavailable || r.stdout != "" || !strings.HasPrefix(r.stderr, "sfkvm migratesetup: no libvirt daemon is listening for qemu:///system at "+sock) {
		t.Errorf("%+v", r)
	}
	// The default, qemu:///system, on a host without libvirt's daemon:
	// the modular and the monolithic socket, and how to start them.
	for _, s := range []string{"/run/libvirt/virtqemud-sock", "/run/libvirt/libvirt-sock"} {
		if _, err := os.Stat(s); err == nil {
			t.Skipf("this host has libvirt's socket %s", s)
		}
	}
	r = runCLI(t, "", "migratesetup", "-s", "g1", "--hostinfo", hostinfo)
	if r.code != exitUnavailable || !strings.Contains(r.stderr, "/run/libvirt/virtqemud-sock or /run/libvirt/libvirt-sock") ||
		!strings.Contains(r.stderr, "systemctl start virtqemud.socket") || !strings.Contains(r.stderr, "systemctl start libvirtd") {
		t.Errorf("%+v", r)
	}
}

// The CLI's default store is the RPC one: -s, a second -s and -d against
// a real libvirtd (a throwaway session daemon with a QEMU guest), in every
// build, the static one included.
func TestMigratesetupThroughTheDaemon(t *testing.T) {
	t.Parallel() // its own sshd, namespace and users (or daemon): waits for logins, not the CPU
	d := libvirtdtest.Start(t)
	dir := t.TempDir()
	hostinfo := filepath.Join(dir, "hostinfo")
	if r := runCLI(t, "", "migratesetup", "-c", "-i", "10.20.30.40", "--cfname", "cfhost1", "--hostinfo", hostinfo); r.code != exitOK {
		t.Fatalf("%+v", r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := rpcstore.Open(ctx, d.URI)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Define(ctx, libvirtdtest.GuestXML(t, dir, "g1", "<graphics type='vnc' autoport='yes' listen='127.0.0.1' passwd='vncpw'/>\n    ")); err != nil {
		t.Fatal(err)
	}
	common := []string{"--connect", d.URI, "--hostinfo", hostinfo}
	r := runCLI(t, "", append([]string{"migratesetup", "-s", "g1", "--dry-run"}, common...)...)
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "g1: would change (vdb)\n") || !strings.Contains(r.stdout, "+      <serial>sfkvm-hostinfo</serial>") || strings.Contains(r.stdout, "vncpw") {
		t.Errorf("dry run: %+v", r)
	}
	for _, step := range []struct {
		args []string
		want string
	}{
		{[]string{"-s", "g1"}, "g1: set up (vdb)\n"},
		{[]string{"-s", "g1"}, "g1: already set up (vdb)\n"},
		{[]string{"-d", "g1"}, "g1: removed (vdb)\n"},
	} {
		r := runCLI(t, "", append(append([]string{"migratesetup"}, step.args...), common...)...)
		if r.code != exitOK || r.stdout != step.want || r.stderr != "" {
			t.Errorf("migratesetup %v: %+v, want %q", step.args, r, step.want)
		}
	}
	if x, err := s.InactiveXML(ctx, "g1"); err != nil || !strings.Contains(x, "passwd='vncpw'") || strings.Contains(x, "sfkvm-hostinfo") {
		t.Errorf("after -s and -d: %v\n%s", err, x)
	}
}

// A daemon socket that refuses the user is 77 (not permitted), no daemon
// or anything else 69.
func TestMigratesetupStoreExitCode(t *testing.T) {
	denied := fmt.Errorf("connecting to libvirt at /run/libvirt/libvirt-sock: %w", os.ErrPermission)
	if got := storeExitCode(denied); got != exitNoPerm {
		t.Errorf("permission denied: exit %d, want %d", got, exitNoPerm)
	}
	if got := storeExitCode(rpcstore.ErrNoDaemon); got != exitUnavailable {
		t.Errorf("no daemon: exit %d, want %d", got, exitUnavailable)
	}
}
