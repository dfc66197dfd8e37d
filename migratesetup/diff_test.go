package migratesetup

import (
	"fmt"
	"strings"
	"testing"

	udiff "github.com/aymanbagabas/go-udiff"
)

// wholeFile is more context than any test domain has lines: the diff then
// shows the whole file, so a secret anywhere in it is inside the diff and
// only the redaction can hide it.
const wholeFile = 1 << 20

// rawDiff is the diff without redaction, to prove that a secret lies
// inside the region a diff shows.
func rawDiff(old, new string, context int) string {
	d, err := udiff.ToUnified("a", "b", old, udiff.Lines(old, new), context)
	if err != nil {
		panic(err)
	}
	return d
}

func TestDiffShowsOurDiskAndNoSecret(t *testing.T) {
	rich := readTestdata(t, "rich.xml")
	e, err := AddHostInfoDisk(rich, hostinfoPath)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"s3cr3t-vnc", "hunter2", "opensesame"}
	raw := rawDiff(rich, e.XML, wholeFile)
	for _, d := range []string{Diff("rich", rich, e.XML), diffContext("rich", rich, e.XML, wholeFile)} {
		for _, secret := range secrets {
			if !strings.Contains(raw, secret) {
				t.Fatalf("the fixture lacks %q: the test proves nothing", secret)
			}
			if strings.Contains(d, secret) {
				t.Errorf("the diff shows %q:\n%s", secret, d)
			}
		}
	}
	d := Diff("rich", rich, e.XML)
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

// farDomain is a domain whose secret-bearing element (at) sits 200 lines
// above the disk that AddHostInfoDisk inserts after: far outside a diff's
// default context.
func farDomain(at string) string {
	var pad strings.Builder
	for i := range 200 {
		fmt.Fprintf(&pad, "    <controller type='pci' index='%d' model='pcie-root-port'/>\n", i+1)
	}
	return `<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>far</name>
  <description>mirror at http://bob:descsecret@mirror.example/path, contact ops@example.com</description>
  <metadata>
    <app:repo xmlns:app='urn:app' url='https://alice:p@ss/w0rd-attrsecret@repo.example/x'/>
  </metadata>
  <memory>1048576</memory>
` + at + `  <devices>
` + pad.String() + `    <disk type='file' device='disk'>
      <source file='/img/far.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
  </devices>
</domain>
`
}

// TestDiffHidesSecretsFarFromTheDisk: each secret is inside the region
// the diff shows (the whole file, or a changed hunk), so only the
// redaction hides it.
func TestDiffHidesSecretsFarFromTheDisk(t *testing.T) {
	for _, tc := range []struct {
		name, at, secret string
	}{
		{"rbd key in qemu:arg", "  <qemu:commandline>\n    <qemu:arg value='-drive'/>\n    <qemu:arg value='file=rbd:pool/img:id=admin:key=AQBrbdsecret==:auth_supported=cephx,if=virtio'/>\n  </qemu:commandline>\n", "AQBrbdsecret"},
		{"any qemu:arg", "  <qemu:commandline>\n    <qemu:arg value='-fw_cfg'/>\n    <qemu:arg value='name=opt/token,string=argsecret'/>\n  </qemu:commandline>\n", "argsecret"},
		{"qemu:env value before name", "  <qemu:commandline>\n    <qemu:env value='envsecret' name='DB_PASSWORD'/>\n  </qemu:commandline>\n", "envsecret"},
		{"qemu:env of any name", "  <qemu:commandline>\n    <qemu:env name='HTTPS_PROXY' value=\"http://proxy.example:3128/?t=proxysecret\"/>\n  </qemu:commandline>\n", "proxysecret"},
		{"qemu namespace under another prefix", "  <q:commandline xmlns:q='http://libvirt.org/schemas/domain/qemu/1.0'>\n    <q:arg value='prefixsecret'/>\n  </q:commandline>\n", "prefixsecret"},
		{"oemStrings credential", "  <sysinfo type='smbios'>\n    <oemStrings>\n      <entry>io.systemd.credential:mycred=oemsecret</entry>\n    </oemStrings>\n  </sysinfo>\n", "oemsecret"},
		{"oemStrings binary credential", "  <sysinfo type='smbios'>\n    <oemStrings>\n      <entry>io.systemd.credential.binary:tok=b2Vtc2VjcmV0Mg==</entry>\n    </oemStrings>\n  </sysinfo>\n", "b2Vtc2VjcmV0Mg=="},
		{"fw_cfg credential", "  <sysinfo type='fwcfg'>\n    <entry name='opt/io.systemd.credentials/mycred'>fwcfgsecret</entry>\n  </sysinfo>\n", "fwcfgsecret"},
		{"fw_cfg in CDATA", "  <sysinfo type='fwcfg'>\n    <entry name='opt/com.example/x'><![CDATA[cdatasecret]]></entry>\n  </sysinfo>\n", "cdatasecret"},
		{"URL userinfo in text", "", "descsecret"},
		{"URL userinfo in an attribute, with @ and / in the password", "", "attrsecret"},
		{"signed URL query", "", "querysecret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := farDomain(tc.at)
			if tc.secret == "querysecret" {
				// A network CD-ROM first in <devices>, above the padding.
				doc = strings.Replace(doc, "  <devices>\n", "  <devices>\n    <disk type='network' device='cdrom'>\n"+
					"      <source protocol='https' name='/iso/y.iso' query='sig=querysecret'><host name='iso.example'/></source>\n"+
					"      <target dev='sdb' bus='sata'/>\n      <readonly/>\n    </disk>\n", 1)
			}
			e, err := AddHostInfoDisk(doc, hostinfoPath)
			if err != nil {
				t.Fatal(err)
			}
			if d := rawDiff(doc, e.XML, 3); strings.Contains(d, tc.secret) {
				t.Fatalf("the secret is near the disk; the test wants it far:\n%s", d)
			}
			if !strings.Contains(rawDiff(doc, e.XML, wholeFile), tc.secret) {
				t.Fatalf("the secret %q is not in the whole-file diff: the test proves nothing", tc.secret)
			}
			if d := diffContext("far", doc, e.XML, wholeFile); strings.Contains(d, tc.secret) {
				t.Errorf("the whole-file diff shows %q:\n%s", tc.secret, d)
			}
			// In a changed hunk: the secret's own line changes.
			changed := strings.Replace(doc, tc.secret, tc.secret+"2", 1)
			if !strings.Contains(rawDiff(doc, changed, 3), tc.secret) {
				t.Fatalf("the secret is not in the hunk that changes it")
			}
			if d := Diff("far", doc, changed); strings.Contains(d, tc.secret) {
				t.Errorf("the diff of a changed secret shows it:\n%s", d)
			}
			// Everything but the secret stays readable.
			if d := diffContext("far", doc, e.XML, wholeFile); !strings.Contains(d, "ops@example.com") || !strings.Contains(d, "+      <serial>sfkvm-hostinfo</serial>") {
				t.Errorf("the diff hides more than secrets:\n%s", d)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		`<cookies><cookie name='session'>abc123</cookie><cookie name='x'>v</cookie></cookies>`: `<cookies><cookie name='session'>***</cookie><cookie name='x'>***</cookie></cookies>`,
		`<graphics type='vnc' passwd='s3cret' port='-1'/>`:                                     `<graphics type='vnc' passwd='***' port='-1'/>`,
		`<graphics type="spice" passwd="a'b"/>`:                                                `<graphics type="spice" passwd='***'/>`,
		`<graphics type='vnc' passwdValidTo='2030-01-01T00:00:00'/>`:                           `<graphics type='vnc' passwdValidTo='2030-01-01T00:00:00'/>`,
		`<auth username='u'><secret type='ceph' uuid='1234'/></auth>`:                          `<auth username='u'><secret type='ceph' uuid='1234'/></auth>`,
		`<qemu:arg value='secret,id=s0,data=hunter2,format=raw'/>`:                             `<qemu:arg value='***'/>`,
		`<qemu:arg value='-vnc :0,password=on'/>`:                                              `<qemu:arg value='***'/>`,
		`<qemu:env name='DB_PASSWORD' value='x y'/>`:                                           `<qemu:env name='DB_PASSWORD' value='***'/>`,
		`<qemu:env value="x y" name='DB'/>`:                                                    `<qemu:env value="***" name='DB'/>`,
		`<qemu:env  value = 'v'  name='LANG'/>`:                                                `<qemu:env  value = '***'  name='LANG'/>`,
		`<source protocol='rbd' name='p/i'><auth username='u'/></source>`:                      `<source protocol='rbd' name='p/i'><auth username='u'/></source>`,
		`<sysinfo type='smbios'><bios><entry name='vendor'>v</entry></bios><oemStrings><entry>c</entry><entry/></oemStrings></sysinfo>`: `<sysinfo type='smbios'><bios><entry name='vendor'>***</entry></bios><oemStrings><entry>***</entry><entry/></oemStrings></sysinfo>`,
		`<entry name='x'>not under sysinfo</entry>`:                     `<entry name='x'>not under sysinfo</entry>`,
		`<source protocol='https' name='/x' query='a=b'/>`:              `<source protocol='https' name='/x' query='***'/>`,
		`<description>see ftp://u:p@h/ and https://h/a@b</description>`: `<description>see ftp://***@h/ and https://***@b</description>`,
		`<description>mail ops@example.com</description>`:               `<description>mail ops@example.com</description>`,
		"<domain>\n  <name>x</name>\n  <bad\n</domain>\n":               "<domain>\n  <name>x</name>\n  ***\n***\n",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%s)\n = %s\nwant %s", in, got, want)
		}
	}
}
