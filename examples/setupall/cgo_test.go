//go:build cgo

package main

import (
	"bytes"
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/migratesetup"
)

// The same program with libvirt: against the test driver, whose one
// domain runs, it leaves it alone and exits 0.
func TestWithLibvirt(t *testing.T) {
	hostinfo := filepath.Join(t.TempDir(), "hostinfo")
	if err := migratesetup.Register(context.Background(), hostinfo, migratesetup.HostInfo{CFName: "cfhost1", IP: netip.MustParseAddr("192.0.2.1")}); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run([]string{"-connect", "test:///default", "-hostinfo", hostinfo, "-dry-run"}, &out, &errb)
	testenv.Need(t, code != 69, "libvirt's test driver ("+strings.TrimSpace(errb.String())+")", "apt-get install --no-install-recommends libvirt-dev pkg-config")
	if code != 0 || !strings.Contains(out.String(), "left alone until it is stopped") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}
