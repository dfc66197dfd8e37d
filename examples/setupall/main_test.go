package main

import (
	"bytes"
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/migratesetuptest"
)

const domainXML = `<domain type='test'>
  <name>NAME</name>
  <memory>1048576</memory>
  <os><type>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><source file='/img/NAME.raw'/><target dev='vda' bus='virtio'/></disk>
  </devices>
</domain>
`

func TestSetupAll(t *testing.T) {
	dir := t.TempDir()
	hostinfo := filepath.Join(dir, "hostinfo")
	if err := migratesetup.Register(context.Background(), hostinfo, migratesetup.HostInfo{CFName: "cfhost1", IP: netip.MustParseAddr("192.0.2.1")}); err != nil {
		t.Fatal(err)
	}
	domain := func(name string, st migratesetup.State) *migratesetuptest.Domain {
		return &migratesetuptest.Domain{XML: strings.ReplaceAll(domainXML, "NAME", name), State: st}
	}
	s := migratesetuptest.New(map[string]*migratesetuptest.Domain{
		"guest11": domain("guest11", migratesetup.StateShutoff),
		"guest21": domain("guest21", migratesetup.StateShutoff),
		"busy":    domain("busy", migratesetup.StateRunning),
	})
	var out bytes.Buffer
	failed, err := setupAll(context.Background(), s, migratesetup.Options{HostInfoPath: hostinfo}, &out)
	if err != nil || failed {
		t.Fatalf("failed %v, err %v\n%s", failed, err, out.String())
	}
	for _, want := range []string{"busy", "left alone", "guest11", "guest21", "vdb"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	for _, n := range []string{"guest11", "guest21"} {
		xml, _ := s.InactiveXML(context.Background(), n)
		if !strings.Contains(xml, migratesetup.Serial) {
			t.Errorf("%s not set up:\n%s", n, xml)
		}
	}
	if xml, _ := s.InactiveXML(context.Background(), "busy"); strings.Contains(xml, migratesetup.Serial) {
		t.Error("the running guest was changed")
	}
}
