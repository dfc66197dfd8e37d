package migratesetup

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/diag"
)

// FuzzParse: Parse never panics, every diagnostic has a code and a
// position inside the input, and what it accepts survives Format and
// Parse again unchanged. Seeds are in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte("format 1\nhost-cfname cfhost1\nhost-ip 10.20.30.40\nweight-link on\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := parseBytes(data, "f")
		if err != nil {
			ds, ok := err.(diag.Diagnostics)
			if !ok || len(ds) == 0 {
				t.Fatalf("error %v is not diag.Diagnostics", err)
			}
			lines := bytes.Count(data, []byte("\n")) + 1
			for _, d := range ds {
				if d.Code == "" || d.Severity != diag.Error || d.Line < 0 || d.Line > lines || d.Column < 0 {
					t.Fatalf("bad diagnostic %+v", d)
				}
			}
			return
		}
		b, err := h.Format()
		if err != nil {
			t.Fatalf("parsed %+v, which Format refuses: %v", h, err)
		}
		if len(b)%SectorSize != 0 {
			t.Fatalf("Format wrote %d bytes", len(b))
		}
		again, err := parseBytes(b, "f")
		if err != nil || again != h {
			t.Fatalf("round trip: %+v (%v), want %+v", again, err, h)
		}
	})
}

// FuzzAddHostInfoDisk: the edit never panics; what it adds parses, is
// found again (idempotent) and removes to the input byte for byte.
func FuzzAddHostInfoDisk(f *testing.F) {
	f.Add("<domain><name>n</name><devices><disk><target dev='vda'/></disk></devices></domain>")
	f.Add("<domain>\n  <devices>\n  </devices>\n</domain>")
	f.Add("<domain>\n  <name>n</name>\n</domain>")
	f.Add("<domain><name>n</name><!-- <devices/> --></domain>")
	f.Fuzz(func(t *testing.T, doc string) {
		e, err := AddHostInfoDisk(doc, DefaultPath)
		if err != nil || !e.Changed {
			return
		}
		again, err := AddHostInfoDisk(e.XML, DefaultPath)
		if err != nil || again.Changed {
			t.Fatalf("not idempotent: %v\n%s", err, e.XML)
		}
		r, err := RemoveHostInfoDisk(e.XML)
		if err != nil || !r.Changed {
			t.Fatalf("cannot remove: %v", err)
		}
		// Byte for byte, except where the edit had to create <devices>
		// (the domain had none, or <devices/>): that element stays, empty.
		d, err := scanDomain(doc)
		if err != nil {
			t.Fatalf("Add accepted what scanDomain refuses: %v", err)
		}
		created := d.devicesStart < 0 || d.devicesClose < 0
		if r.XML != doc && !created {
			t.Fatalf("remove(add(doc)) != doc:\n%q\n%q", doc, r.XML)
		}
		if back, err := scanDomain(r.XML); err != nil || len(back.disks) != len(d.disks) {
			t.Fatalf("after removal: %v, %d disks, want %d", err, len(back.disks), len(d.disks))
		}
	})
}

// FuzzRedact: Redact never panics, and a qemu:arg value planted at the end
// of any input that reads as XML up to there is hidden.
func FuzzRedact(f *testing.F) {
	f.Add("<domain><qemu:env value='x' name='y'/></domain>")
	f.Add("<domain><sysinfo><entry>c</entry></sysinfo><source query='q'/></domain>")
	f.Add("<a b = \"c\" d='e'/><f g='http://u:p@h/'>")
	f.Fuzz(func(t *testing.T, doc string) {
		Redact(doc)
		if _, err := scanDomain(doc); err != nil {
			return
		}
		planted := doc + "<qemu:arg value='pl4nted'/>"
		if strings.Contains(Redact(planted), "pl4nted") && !strings.Contains(doc, "pl4nted") {
			t.Fatalf("the planted secret shows:\n%s", Redact(planted))
		}
	})
}
