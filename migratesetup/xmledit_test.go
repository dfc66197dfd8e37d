package migratesetup

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

const hostinfoPath = "/var/lib/sfkvm/hostinfo"

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// domainWithDisks returns a definition whose disks use the given targets.
func domainWithDisks(targets ...string) string {
	var b strings.Builder
	b.WriteString("<domain type='test'>\n  <name>many</name>\n  <memory>1024</memory>\n  <os><type>hvm</type></os>\n  <devices>\n")
	for i, t := range targets {
		fmt.Fprintf(&b, "    <disk type='file' device='disk'>\n      <source file='/img/%d.raw'/>\n      <target dev='%s' bus='virtio'/>\n    </disk>\n", i, t)
	}
	b.WriteString("  </devices>\n</domain>\n")
	return b.String()
}

// withoutInsertion checks that got is want with exactly one inserted run
// of bytes, and returns that run.
func withoutInsertion(t *testing.T, want, got string) string {
	t.Helper()
	p := 0
	for p < len(want) && want[p] == got[p] {
		p++
	}
	s := 0
	for s < len(want)-p && want[len(want)-1-s] == got[len(got)-1-s] {
		s++
	}
	if p+s != len(want) {
		t.Fatalf("the edit changed more than one place:\n%s", got)
	}
	return got[p : len(got)-s]
}

func TestAddKeepsEveryOtherByte(t *testing.T) {
	rich := readTestdata(t, "rich.xml")
	e, err := AddHostInfoDisk(rich, hostinfoPath)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Changed || e.Target != "vdb" {
		t.Fatalf("Changed=%v Target=%q, want true vdb", e.Changed, e.Target)
	}
	inserted := withoutInsertion(t, rich, e.XML)
	want := `
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='/var/lib/sfkvm/hostinfo'/>
      <target dev='vdb' bus='virtio'/>
      <readonly/>
      <shareable/>
      <serial>sfkvm-hostinfo</serial>
    </disk>`
	if len(inserted) != len(want) {
		t.Errorf("inserted %d bytes, want %d", len(inserted), len(want))
	}
	at := strings.LastIndex(rich, "</disk>") + len("</disk>")
	if e.XML != rich[:at]+want+rich[at:] {
		t.Errorf("got:\n%s\nwant our disk right after the last disk", e.XML)
	}
	// After the last disk (the cdrom), before the interface.
	if i, j := strings.Index(e.XML, "<target dev='sda'"), strings.Index(e.XML, "sfkvm-hostinfo"); i > j {
		t.Error("our disk is not after the last disk")
	}
}

func TestRemoveUndoesAddByteForByte(t *testing.T) {
	for name, doc := range map[string]string{
		"rich":     readTestdata(t, "rich.xml"),
		"no disks": "<domain>\n  <name>n</name>\n  <devices>\n    <emulator>/bin/q</emulator>\n  </devices>\n</domain>\n",
		"empty":    "<domain>\n  <name>n</name>\n  <devices>\n  </devices>\n</domain>",
		"tabs":     "<domain>\n\t<name>n</name>\n\t<devices>\n\t\t<disk type='file'>\n\t\t\t<target dev='vda'/>\n\t\t</disk>\n\t</devices>\n</domain>",
		"one line": "<domain><name>n</name><devices><disk type='file'><target dev='vda'/></disk></devices></domain>",
	} {
		t.Run(name, func(t *testing.T) {
			added, err := AddHostInfoDisk(doc, hostinfoPath)
			if err != nil {
				t.Fatal(err)
			}
			if !added.Changed {
				t.Fatal("not changed")
			}
			if _, err := scanDomain(added.XML); err != nil {
				t.Fatalf("result is not well-formed: %v\n%s", err, added.XML)
			}
			removed, err := RemoveHostInfoDisk(added.XML)
			if err != nil {
				t.Fatal(err)
			}
			if !removed.Changed || removed.XML != doc {
				t.Errorf("remove(add(doc)) differs from doc:\n%s", removed.XML)
			}
		})
	}
}

func TestAddIndentsLikeTheNeighbours(t *testing.T) {
	doc := "<domain>\n\t<name>n</name>\n\t<devices>\n\t\t<disk type='file'>\n\t\t\t<target dev='vda'/>\n\t\t</disk>\n\t</devices>\n</domain>"
	e, err := AddHostInfoDisk(doc, hostinfoPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.XML, "\n\t\t<disk type='file' device='disk'>\n\t\t\t<driver ") || !strings.Contains(e.XML, "\n\t\t</disk>\n\t</devices>") {
		t.Errorf("not indented with tabs:\n%s", e.XML)
	}
}

func TestAddChoosesAFreeTarget(t *testing.T) {
	all := func(from, to byte) []string {
		var ts []string
		for c := from; c <= to; c++ {
			ts = append(ts, "vd"+string(c))
		}
		return ts
	}
	for _, tc := range []struct {
		name    string
		targets []string
		want    string
	}{
		{"none", nil, "vda"},
		{"first taken", []string{"vda"}, "vdb"},
		{"a gap", []string{"vda", "vdc", "vdd"}, "vdb"},
		{"other buses do not count", []string{"sda", "hda", "vda"}, "vdb"},
		{"up to vdy taken", all('a', 'y'), "vdz"},
		{"vdz taken, vda free", all('b', 'z'), "vda"},
		{"beyond vdz is not our concern", append(all('a', 'y'), "vdaa"), "vdz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := AddHostInfoDisk(domainWithDisks(tc.targets...), hostinfoPath)
			if err != nil {
				t.Fatal(err)
			}
			if e.Target != tc.want || !strings.Contains(e.XML, "<target dev='"+tc.want+"' bus='virtio'/>\n      <readonly/>") {
				t.Errorf("target %q, want %q", e.Target, tc.want)
			}
		})
	}
	t.Run("all of vda to vdz taken", func(t *testing.T) {
		_, err := AddHostInfoDisk(domainWithDisks(all('a', 'z')...), hostinfoPath)
		if !errors.Is(err, ErrNoFreeTarget) {
			t.Errorf("err = %v, want ErrNoFreeTarget", err)
		}
	})
}

func TestAddIsIdempotent(t *testing.T) {
	first, err := AddHostInfoDisk(domainWithDisks("vda"), hostinfoPath)
	if err != nil {
		t.Fatal(err)
	}
	again, err := AddHostInfoDisk(first.XML, hostinfoPath)
	if err != nil {
		t.Fatal(err)
	}
	if again.Changed || again.XML != first.XML || again.Target != "vdb" {
		t.Errorf("second add: Changed=%v Target=%q, same text %v", again.Changed, again.Target, again.XML == first.XML)
	}
}

func TestAddRefusesAConflictingDisk(t *testing.T) {
	ours, err := AddHostInfoDisk(domainWithDisks("vda"), "/srv/other/hostinfo")
	if err != nil {
		t.Fatal(err)
	}
	writable := strings.Replace(ours.XML, "<readonly/>", "", 1)
	twice := strings.Replace(ours.XML, "</devices>", "  <disk><target dev='vdc'/><serial>sfkvm-hostinfo</serial></disk>\n  </devices>", 1)
	for name, doc := range map[string]string{"another source": ours.XML, "writable": writable, "twice": twice} {
		t.Run(name, func(t *testing.T) {
			path := hostinfoPath
			if name != "another source" {
				path = "/srv/other/hostinfo"
			}
			e, err := AddHostInfoDisk(doc, path)
			if !errors.Is(err, ErrConflictingDisk) {
				t.Fatalf("err = %v, want ErrConflictingDisk", err)
			}
			if e.XML != "" || e.Changed {
				t.Error("an edit came back with the error")
			}
		})
	}
}

func TestRemove(t *testing.T) {
	doc := domainWithDisks("vda", "vdc")
	e, err := RemoveHostInfoDisk(doc)
	if err != nil || e.Changed || e.XML != doc {
		t.Errorf("removing from a guest without our disk: Changed=%v err=%v", e.Changed, err)
	}
	// A disk with our serial is ours whatever its source.
	added, _ := AddHostInfoDisk(doc, "/elsewhere/hostinfo")
	e, err = RemoveHostInfoDisk(added.XML)
	if err != nil || !e.Changed || e.XML != doc || e.Target != "vdb" {
		t.Errorf("Changed=%v Target=%q err=%v, same as before %v", e.Changed, e.Target, err, e.XML == doc)
	}
}

func TestAddEscapesThePath(t *testing.T) {
	e, err := AddHostInfoDisk(domainWithDisks("vda"), "/srv/a&b/it's")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.XML, "<source file='/srv/a&amp;b/it&apos;s'/>") {
		t.Errorf("path not escaped:\n%s", e.XML)
	}
	d, err := scanDomain(e.XML)
	if err != nil || d.disks[1].source != "/srv/a&b/it's" {
		t.Errorf("source reads back as %q (%v)", d.disks[1].source, err)
	}
	again, err := AddHostInfoDisk(e.XML, "/srv/a&b/it's")
	if err != nil || again.Changed {
		t.Errorf("not recognised as set up: %v", err)
	}
}

func TestAddRefusesWhatItCannotEdit(t *testing.T) {
	for name, tc := range map[string]struct {
		doc, path string
		notDomain bool
	}{
		"relative path":                        {domainWithDisks("vda"), "hostinfo", false},
		"control in path":                      {domainWithDisks("vda"), "/a\nb", false},
		"not xml":                              {"hello", hostinfoPath, true},
		"not a domain":                         {"<network><devices/></network>", hostinfoPath, true},
		"empty domain":                         {"<domain/>", hostinfoPath, true},
		"nothing inside":                       {"<domain>\n</domain>", hostinfoPath, true},
		"devices in another default namespace": {"<domain><name>x</name><devices xmlns='urn:other'/></domain>", hostinfoPath, true},
		"disk in another default namespace":    {"<domain><name>x</name><devices><disk xmlns='urn:other'/></devices></domain>", hostinfoPath, true},
		"two roots":                            {"<domain><name>x</name></domain><domain><name>y</name></domain>", hostinfoPath, true},
		"unclosed":                             {"<domain><devices>", hostinfoPath, true},
		"two devices":                          {"<domain><devices/><devices/></domain>", hostinfoPath, true},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := AddHostInfoDisk(tc.doc, tc.path)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrNotDomain) != tc.notDomain {
				t.Errorf("errors.Is(%v, ErrNotDomain) = %v", err, !tc.notDomain)
			}
		})
	}
}

func TestAddToSelfClosingDevices(t *testing.T) {
	e, err := AddHostInfoDisk("<domain>\n  <name>x</name>\n  <devices/>\n</domain>", hostinfoPath)
	if err != nil {
		t.Fatal(err)
	}
	want := "<domain>\n  <name>x</name>\n  <devices>\n    <disk type='file' device='disk'>\n      <driver name='qemu' type='raw'/>\n" +
		"      <source file='/var/lib/sfkvm/hostinfo'/>\n      <target dev='vda' bus='virtio'/>\n      <readonly/>\n      <shareable/>\n" +
		"      <serial>sfkvm-hostinfo</serial>\n    </disk>\n  </devices>\n</domain>"
	if e.XML != want {
		t.Errorf("got\n%s\nwant\n%s", e.XML, want)
	}
}

func TestAddRefusalsSayWhy(t *testing.T) {
	for doc, want := range map[string]string{
		"<domain/>": "the <domain> element has no elements in it",
		"<domain><name>x</name><devices xmlns='urn:other'/></domain>": `<devices> declares the default namespace "urn:other"`,
		"<domain><name>x</name><devices/><devices/></domain>":         "two <devices> elements",
	} {
		if _, err := AddHostInfoDisk(doc, hostinfoPath); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", doc, err, want)
		}
	}
}

// A domain without <devices> is valid for libvirt: the edit adds the
// element, with our disk, and keeps every other byte. A <devices> that
// is not libvirt's (in a comment, in CDATA, in another namespace) is not
// taken for it.
func TestAddWithoutDevices(t *testing.T) {
	ours := "<disk type='file' device='disk'>\n%[1]s<driver name='qemu' type='raw'/>\n%[1]s<source file='/var/lib/sfkvm/hostinfo'/>\n" +
		"%[1]s<target dev='vda' bus='virtio'/>\n%[1]s<readonly/>\n%[1]s<shareable/>\n%[1]s<serial>sfkvm-hostinfo</serial>\n%[2]s</disk>"
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"lines", "<domain type='kvm'>\n  <name>x</name>\n  <memory>1</memory>\n</domain>\n",
			"<domain type='kvm'>\n  <name>x</name>\n  <memory>1</memory>\n  <devices>\n    " + fmt.Sprintf(ours, "      ", "    ") + "\n  </devices>\n</domain>\n"},
		{"tabs, indented root", "<?xml version='1.0'?>\n\t<domain>\n\t\t<name>x</name>\n\t</domain>",
			"<?xml version='1.0'?>\n\t<domain>\n\t\t<name>x</name>\n\t\t<devices>\n\t\t\t" + fmt.Sprintf(ours, "\t\t\t\t", "\t\t\t") + "\n\t\t</devices>\n\t</domain>"},
		{"one line", "<domain><name>x</name></domain>",
			"<domain><name>x</name><devices>" + strings.ReplaceAll(fmt.Sprintf(ours, "", ""), "\n", "") + "</devices></domain>"},
		{"devices in a comment", "<domain>\n  <name>x</name>\n  <!-- <devices><disk/></devices> -->\n</domain>", ""},
		{"devices in CDATA", "<domain>\n  <name>x</name>\n  <description><![CDATA[<devices></devices>]]></description>\n</domain>", ""},
		{"devices in metadata", "<domain>\n  <name>x</name>\n  <metadata>\n    <app:devices xmlns:app='urn:app'><disk/></app:devices>\n  </metadata>\n</domain>", ""},
		{"devices in another namespace", "<domain>\n  <name>x</name>\n  <app:devices xmlns:app='urn:app'/>\n</domain>", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := AddHostInfoDisk(tc.doc, hostinfoPath)
			if err != nil {
				t.Fatal(err)
			}
			if !e.Changed || e.Target != "vda" {
				t.Errorf("changed %v, target %q", e.Changed, e.Target)
			}
			if tc.want != "" && e.XML != tc.want {
				t.Errorf("got\n%s\nwant\n%s", e.XML, tc.want)
			}
			// Every byte of the input is there, around one inserted block
			// (found up to a shift: "<" may end the prefix or begin it).
			p := 0
			for p < len(tc.doc) && tc.doc[p] == e.XML[p] {
				p++
			}
			q := 0
			for q < len(tc.doc)-p && tc.doc[len(tc.doc)-1-q] == e.XML[len(e.XML)-1-q] {
				q++
			}
			inserted := e.XML[p : len(e.XML)-q]
			if p+q != len(tc.doc) || !strings.Contains(inserted, "devices>") || !strings.Contains(inserted, "</devices") ||
				strings.Count(inserted, "<disk ") != 1 || strings.Count(inserted, "devices>") != 2 {
				t.Errorf("not one <devices> block inserted (%d+%d of %d bytes kept): %q", p, q, len(tc.doc), inserted)
			}
			d, err := scanDomain(e.XML)
			if err != nil || len(d.disks) != 1 || d.disks[0].serial != Serial {
				t.Errorf("the result does not read back with our disk: %v", err)
			}
			if again, err := AddHostInfoDisk(e.XML, hostinfoPath); err != nil || again.Changed {
				t.Errorf("second add: changed %v, %v", again.Changed, err)
			}
			if r, err := RemoveHostInfoDisk(tc.doc); err != nil || r.Changed {
				t.Errorf("removal from the original: changed %v, %v", r.Changed, err)
			}
		})
	}
}
