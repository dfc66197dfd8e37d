package migratesetup

import (
	"strings"
	"testing"
)

func TestDiffShowsOurDiskAndNoSecret(t *testing.T) {
	rich := readTestdata(t, "rich.xml")
	e, err := AddHostInfoDisk(rich, hostinfoPath)
	if err != nil {
		t.Fatal(err)
	}
	d := Diff("rich", rich, e.XML)
	for _, secret := range []string{"s3cr3t-vnc", "hunter2", "opensesame"} {
		if strings.Contains(d, secret) {
			t.Errorf("the diff shows %q:\n%s", secret, d)
		}
	}
	if !strings.HasPrefix(d, "--- a/rich.xml\n+++ b/rich.xml\n@@ ") || !strings.Contains(d, "\n+      <serial>sfkvm-hostinfo</serial>\n") {
		t.Errorf("not the expected unified diff:\n%s", d)
	}
	for _, line := range strings.Split(d, "\n") {
		if strings.HasPrefix(line, "-") && !strings.HasPrefix(line, "---") {
			t.Errorf("the diff removes a line: %q", line)
		}
	}
	if Diff("rich", rich, rich) != "" {
		t.Error("a diff of equal texts is not empty")
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		`<cookies><cookie name='session'>abc123</cookie><cookie name='x'>v</cookie></cookies>`: `<cookies><cookie name='session'>***</cookie><cookie name='x'>***</cookie></cookies>`,
		`<graphics type='vnc' passwd='s3cret' port='-1'/>`:                                     `<graphics type='vnc' passwd='***' port='-1'/>`,
		`<graphics type="spice" passwd="a'b"/>`:                                                `<graphics type="spice" passwd='***'/>`,
		`<graphics type='vnc' passwdValidTo='2030-01-01T00:00:00'/>`:                           `<graphics type='vnc' passwdValidTo='2030-01-01T00:00:00'/>`,
		`<auth username='u'><secret type='ceph' uuid='1234'/></auth>`:                          `<auth username='u'><secret type='ceph' uuid='1234'/></auth>`,
		`<qemu:arg value='secret,id=s0,data=hunter2,format=raw'/>`:                             `<qemu:arg value='secret,id=s0,data=***,format=raw'/>`,
		`<qemu:arg value='-vnc :0,password=on'/>`:                                              `<qemu:arg value='-vnc :0,password=on'/>`,
		`<qemu:arg value='iscsi,user=u,password=pw'/>`:                                         `<qemu:arg value='iscsi,user=u,password=***'/>`,
		`<qemu:env name='DB_PASSWORD' value='x y'/>`:                                           `<qemu:env name='DB_PASSWORD' value='***'/>`,
		`<qemu:env name='LANG' value='C'/>`:                                                    `<qemu:env name='LANG' value='C'/>`,
		`<source protocol='rbd' name='p/i'><auth username='u'/></source>`:                      `<source protocol='rbd' name='p/i'><auth username='u'/></source>`,
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%s)\n = %s\nwant %s", in, got, want)
		}
	}
}
