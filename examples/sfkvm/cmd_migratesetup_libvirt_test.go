//go:build cgo

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/migratesetup/libvirtstore"
)

// libvirtFixture registers a host in a temporary folder and writes a
// file-backed test driver node with shut-off guests g1 and g2, a running
// guest r1 and a paused guest p1; it returns the host information path and
// the URI.
func libvirtFixture(t *testing.T) (hostinfo, uri string) {
	t.Helper()
	s, err := libvirtstore.Open("test:///default")
	why := ""
	if err != nil {
		why = err.Error()
	}
	testenv.Need(t, err == nil, "libvirt's test driver ("+why+")", "apt-get install --no-install-recommends libvirt-dev pkg-config")
	s.Close()
	dir := t.TempDir()
	hostinfo = filepath.Join(dir, "hostinfo")
	if r := runCLI(t, "", "migratesetup", "-c", "-i", "10.20.30.40", "--cfname", "cfhost1", "--hostinfo", hostinfo); r.code != exitOK {
		t.Fatalf("%+v", r)
	}
	var b strings.Builder
	b.WriteString("<node>\n")
	for _, g := range []struct {
		name     string
		runstate int
	}{{"g1", 5}, {"g2", 5}, {"r1", 1}, {"p1", 3}} {
		fmt.Fprintf(&b, `  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>%s</name>
    <memory>1048576</memory>
    <os><type>hvm</type></os>
    <devices>
      <disk type='file' device='disk'>
        <source file='/img/%s.qcow2'/>
        <target dev='vda' bus='virtio'/>
      </disk>
      <graphics type='vnc' port='-1' passwd='pw-%s'/>
    </devices>
    <test:runstate>%d</test:runstate>
  </domain>
`, g.name, g.name, g.name, g.runstate)
	}
	b.WriteString("</node>\n")
	node := filepath.Join(dir, "node.xml")
	if err := os.WriteFile(node, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return hostinfo, "test://" + node
}

func TestMigratesetupGuests(t *testing.T) {
	hostinfo, uri := libvirtFixture(t)
	common := []string{"--connect", uri, "--hostinfo", hostinfo}
	// Each run is its own connection, and each connection to a file-backed
	// URI starts from the file: so each run sees the fixture as written.
	r := runCLI(t, "", append([]string{"migratesetup", "-s", "g1", "g2", "r1", "absent"}, common...)...)
	want := "g1: set up (vdb)\ng2: set up (vdb)\nr1: refused: domain is not shut off: it is running; shut it down first (shutdown -P now in the guest), or use --restart\n" +
		"absent: failed: reading the definition: Domain not found\n"
	if r.code != exitFailed || r.stdout != want {
		t.Errorf("exit %d\n%s\nwant\n%s", r.code, r.stdout, want)
	}

	r = runCLI(t, "", append([]string{"migratesetup", "-s", "g1", "r1", "--restart", "--format=json"}, common...)...)
	var rep struct {
		Results []struct {
			Domain, Outcome, Target, Stopped string
			Started                          bool
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != exitOK || len(rep.Results) != 2 {
		t.Fatalf("%+v: %v", r, err)
	}
	if g := rep.Results[1]; g.Domain != "r1" || g.Outcome != "set up" || g.Stopped != "shutdown" || !g.Started {
		t.Errorf("%+v", g)
	}

	r = runCLI(t, "", append([]string{"migratesetup", "-s", "g1", "--dry-run"}, common...)...)
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "g1: would change (vdb)\n--- a/g1.xml\n+++ b/g1.xml\n") || strings.Contains(r.stdout, "pw-g1") {
		t.Errorf("%+v", r)
	}

	r = runCLI(t, "", append([]string{"migratesetup", "-d", "g1"}, common...)...)
	if r.code != exitOK || r.stdout != "g1: not set up\n" {
		t.Errorf("%+v", r)
	}
}

func TestMigratesetupNeedsTheHostInfo(t *testing.T) {
	_, uri := libvirtFixture(t)
	r := runCLI(t, "", "migratesetup", "-s", "g1", "--connect", uri, "--hostinfo", filepath.Join(t.TempDir(), "none"))
	if r.code != exitFailed || !strings.Contains(r.stdout, "g1: refused: host information file is missing") {
		t.Errorf("%+v", r)
	}
}

func TestMigratesetupLibvirtUnreachable(t *testing.T) {
	libvirtFixture(t)
	r := runCLI(t, "", "migratesetup", "-s", "g1", "--connect", "test://"+filepath.Join(t.TempDir(), "absent.xml"))
	if r.code != exitUnavailable || !strings.Contains(r.stderr, "connecting to libvirt") || r.stdout != "" {
		t.Errorf("%+v", r)
	}
}

// TestMigratesetupPausedWithRestart: --restart does not take a paused
// guest (it cannot shut down by ACPI): refused at once, saying so, and the
// hint does not offer --restart again.
func TestMigratesetupPausedWithRestart(t *testing.T) {
	hostinfo, uri := libvirtFixture(t)
	r := runCLI(t, "", "migratesetup", "-s", "p1", "--restart", "--force", "--timeout", "1s", "--connect", uri, "--hostinfo", hostinfo)
	want := "p1: refused: domain is not shut off: it is paused; a paused guest cannot shut down by ACPI, so --restart does not handle it; resume it (virsh resume p1) or shut it off first\n"
	if r.code != exitFailed || r.stdout != want {
		t.Errorf("exit %d\n%s\nwant\n%s", r.code, r.stdout, want)
	}
}
