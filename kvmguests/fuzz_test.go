package kvmguests

import (
	"bytes"
	"slices"
	"testing"
)

// FuzzParse: Parse never panics, Check finds exactly what Parse finds, every diagnostic points inside the input,
// and for input without errors, parse-format-parse is stable: the second
// parse reads the same guests with no errors, and formatting again gives
// the same bytes.
func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("guest11 cfhost1 cluster1 cfguest11  10.20.30.50 user1 D0860AB04E1B8FA3\r\n"))
	f.Add([]byte("# c\n\n g1 h1 c1 n1 ::ffff:10.0.0.1 root d0860ab0\tx"))
	f.Add([]byte("g1 h1 c1 n1 fe80::1%eth0 root sfkvm1.AAAA\ng1 h1 c1 n1 10.0.0.1 root D0\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, opts := range []Options{{}, {AllowSealed: true}} {
			cfg, diags := ParseBytes(in, "f", opts)
			if checked, _ := Check(bytes.NewReader(in), "f", opts); !slices.Equal(checked, diags) {
				t.Fatalf("Check and Parse disagree:\n%v\n%v", checked, diags)
			}
			lines := bytes.Count(in, []byte("\n")) + 1
			for _, d := range diags {
				if d.Line < 0 || d.Line > lines || d.Column < 0 || (d.Line > 0 && d.Column == 0) {
					t.Fatalf("diagnostic outside the input: %s", d)
				}
			}
			if diags.HasErrors() {
				continue
			}
			out := Format(cfg)
			cfg2, diags2 := ParseBytes(out, "f", opts)
			if diags2.HasErrors() {
				t.Fatalf("formatted output has errors: %v\n%q", diags2, out)
			}
			if len(cfg2.Guests()) != len(cfg.Guests()) {
				t.Fatalf("guests %d then %d", len(cfg.Guests()), len(cfg2.Guests()))
			}
			if out2 := Format(cfg2); !bytes.Equal(out, out2) {
				t.Fatalf("format not stable:\n%q\n%q", out, out2)
			}
			if len(diags) == 0 && !bytes.Equal(in, out) {
				t.Fatalf("clean input not reproduced:\n%q\n%q", in, out)
			}
		}
	})
}
