package kvmguests

import (
	"bytes"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/diag"
)

// FuzzParse: Parse never panics, Check finds exactly what Parse finds, every diagnostic points inside the input,
// and for input without errors, parse-format-parse is stable: the second
// parse reads the same guests with no errors, and formatting again gives
// the same bytes.
func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("guest11 cfhost1 cluster1 cfguest11  10.20.30.50 user1 D0860AB04E1B8FA3\r\n"))
	f.Add([]byte("\xEF\xBB\xBFguest11 cfhost1 cluster1 cfguest11  10.20.30.50 user1 D0860AB04E1B8FA3\r\n\xEF\xBB\xBF"))
	f.Add([]byte("# c\n\n g1 h1 c1 n1 ::ffff:10.0.0.1 root d0860ab0\tx"))
	f.Add([]byte("g1 h1 c1 n1 fe80::1%eth0 root sfkvm1.AAAA\ng1 h1 c1 n1 10.0.0.1 root D0\n"))
	f.Add([]byte("g1 h1 c1 n1 10.0.0.1 root D0860AB04E1B8FA3\ng1 h1 c1 n1 ::ffff:10.0.0.1 root D0860AB04E1B8FA3\ng2 h1 c1 n2 10.0.0.2 root D0860AB04E1B8FA3\n"))
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
			checkDuplicatesAgainstMaps(t, cfg, diags)
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

// FuzzSplit: the fast path agrees with the slow one whenever it accepts a
// line, and the slow one then finds nothing to report.
func FuzzSplit(f *testing.F) {
	f.Add(strings.TrimSuffix(good, "\n"))
	f.Add("a b c d e f g")
	f.Add("a b c d e f g ")
	f.Add("a b c d e f g h")
	f.Add("a  b c d e f g")
	f.Fuzz(func(t *testing.T, line string) {
		p := newParser("f", Options{}, false, 0)
		fast, fastCols, ok := p.splitFast(line)
		if !ok {
			return
		}
		fast, fastCols = slices.Clone(fast), slices.Clone(fastCols)
		slow, slowCols, _ := p.split(line)
		if !slices.Equal(fast, slow) || !slices.Equal(fastCols, slowCols) {
			t.Fatalf("fast %q %v, slow %q %v", fast, fastCols, slow, slowCols)
		}
		if len(p.diags) != 0 {
			t.Fatalf("fast path accepted a line with problems: %v", p.diags)
		}
	})
}

// checkDuplicatesAgainstMaps recomputes the rules across lines with plain
// maps, the obvious way, and compares with what the parser reported.
func checkDuplicatesAgainstMaps(t *testing.T, cfg *Config, diags diag.Diagnostics) {
	for _, l := range cfg.Lines {
		if l.Kind == LineInvalid {
			return // the reference needs every line's fields
		}
	}
	type hit struct {
		code diag.Code
		line int
	}
	var want, got []hit
	names, nodes, ips, hosts := map[string]bool{}, map[[2]string]bool{}, map[netip.Addr]bool{}, map[[2]string]bool{}
	for _, g := range cfg.Guests() {
		if names[g.Name] {
			want = append(want, hit{ErrDupGuestName, g.Line})
		}
		if nodes[[2]string{g.ClusterName, g.CFName}] {
			want = append(want, hit{ErrDupNode, g.Line})
		}
		if ips[g.IP.Unmap().WithZone("")] {
			want = append(want, hit{ErrDupIP, g.Line})
		}
		if hosts[[2]string{g.ClusterName, g.HostCFName}] {
			want = append(want, hit{WarnSameHost, g.Line})
		}
		names[g.Name], nodes[[2]string{g.ClusterName, g.CFName}] = true, true
		ips[g.IP.Unmap().WithZone("")], hosts[[2]string{g.ClusterName, g.HostCFName}] = true, true
	}
	for _, d := range diags {
		switch d.Code {
		case ErrDupGuestName, ErrDupNode, ErrDupIP, WarnSameHost:
			got = append(got, hit{d.Code, d.Line})
		}
	}
	sortHits := func(h []hit) {
		slices.SortFunc(h, func(a, b hit) int {
			if a.line != b.line {
				return a.line - b.line
			}
			return strings.Compare(string(a.code), string(b.code))
		})
	}
	sortHits(want)
	sortHits(got)
	if !slices.Equal(want, got) {
		t.Fatalf("duplicates: got %v, want %v", got, want)
	}
}
