package main

import (
	"bytes"
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/internal/libvirtdtest"
	"github.com/sfkvm/sfkvm/migratesetup"
)

// The program against a real libvirtd (a throwaway session daemon), in
// every build: its shut-off guest set up, and a second run finds it done.
func TestWithLibvirtDaemon(t *testing.T) {
	d := libvirtdtest.Start(t)
	dir := t.TempDir()
	hostinfo := filepath.Join(dir, "hostinfo")
	if err := migratesetup.Register(context.Background(), hostinfo, migratesetup.HostInfo{CFName: "cfhost1", IP: netip.MustParseAddr("192.0.2.1")}); err != nil {
		t.Fatal(err)
	}
	d.DefineGuest(t, dir, "guest11", "")
	for _, want := range []string{"set up (disk vdb)", "already set up (disk vdb)"} {
		var out, errb bytes.Buffer
		code := run([]string{"-connect", d.URI, "-hostinfo", hostinfo}, &out, &errb)
		if code != 0 || !strings.Contains(out.String(), "guest11") || !strings.Contains(out.String(), want) {
			t.Errorf("exit %d, stdout %q, stderr %q; want %q", code, out.String(), errb.String(), want)
		}
	}
}

// No daemon: the program says so and what to start, with exit 69.
func TestNoDaemon(t *testing.T) {
	var out, errb bytes.Buffer
	sock := filepath.Join(t.TempDir(), "libvirt-sock")
	code := run([]string{"-connect", "qemu+unix:///system?socket=" + sock}, &out, &errb)
	if code != 69 || out.Len() != 0 || !strings.Contains(errb.String(), "no libvirt daemon is listening") || !strings.Contains(errb.String(), sock) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}
