package sdfacility_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sfkvm/sfkvm/sdfacility"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/rcsd")

// render prints what ParseConfig found, for the golden files.
func render(cfg *sdfacility.Config, err error) string {
	var b strings.Builder
	for _, n := range cfg.Nodes {
		fmt.Fprintf(&b, "line %d: node %s weight=%d", n.Line, n.Name, n.Weight)
		if n.AdminIP.IsValid() {
			fmt.Fprintf(&b, " admIP=%s", n.AdminIP)
		}
		b.WriteString("\n")
		for _, a := range n.Agents {
			fmt.Fprintf(&b, "  agent %s timeout=%s\n", a.Name, a.Timeout)
		}
	}
	fmt.Fprintf(&b, "-- diagnostics (error returned: %v)\n", err != nil)
	for _, d := range cfg.Diagnostics {
		fmt.Fprintf(&b, "%s [field %q]\n", d, d.Field)
	}
	return b.String()
}

func TestParseConfigGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/rcsd/*.cfg")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no inputs: %v", err)
	}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			cfg, perr := sdfacility.ParseConfig(bytes.NewReader(data), filepath.Base(in))
			got := render(cfg, perr)
			golden := strings.TrimSuffix(in, ".cfg") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", golden, diff)
			}
			if (perr != nil) != cfg.Diagnostics.HasErrors() {
				t.Errorf("error returned %v, but HasErrors %v", perr, cfg.Diagnostics.HasErrors())
			}
		})
	}
}

func TestParseConfigManualExample(t *testing.T) {
	cfg, err := sdfacility.ReadConfigFile("testdata/rcsd/manual.cfg")
	if err != nil || len(cfg.Diagnostics) != 0 {
		t.Fatalf("err %v diagnostics %v", err, cfg.Diagnostics)
	}
	n, ok := cfg.Node("cfguest12")
	if !ok || n.Weight != 1 || n.AdminIP.String() != "10.20.30.51" || len(n.Agents) != 3 || n.Agents[2].Name != "SA_vmchkhost" {
		t.Errorf("cfguest12 read as %+v", n)
	}
}

func TestParseConfigErrorsAreDiagnostics(t *testing.T) {
	_, err := sdfacility.ParseConfig(strings.NewReader("n1,weight=x:agent=SA_a,timeout=1\n"), "rcsd.cfg")
	var ds sdfacility.Diagnostics
	if !errors.As(err, &ds) || len(ds) != 1 || ds[0].String() != `rcsd.cfg:1:11: error: bad-weight: weight "x" is not a whole number of at least 1` {
		t.Errorf("err = %v", err)
	}
	if _, err := sdfacility.ReadConfigFile(filepath.Join(t.TempDir(), "rcsd.cfg")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want ErrNotExist", err)
	}
}

func TestConfigMarshalRoundTrip(t *testing.T) {
	for _, in := range []string{"testdata/rcsd/manual.cfg", "testdata/rcsd/hosts.cfg"} {
		cfg, err := sdfacility.ReadConfigFile(in)
		if err != nil {
			t.Fatal(err)
		}
		checkRoundTrip(t, cfg)
	}
}

func checkRoundTrip(t *testing.T, cfg *sdfacility.Config) {
	t.Helper()
	out := cfg.Marshal()
	again, err := sdfacility.ParseConfig(bytes.NewReader(out), "marshalled")
	if err != nil {
		t.Fatalf("Marshal's output does not parse: %v\n%s", err, out)
	}
	strip := func(ns []sdfacility.NodeConfig) []sdfacility.NodeConfig {
		out := make([]sdfacility.NodeConfig, len(ns))
		for i, n := range ns {
			n.Line = 0
			out[i] = n
		}
		return out
	}
	if diff := cmp.Diff(strip(cfg.Nodes), strip(again.Nodes), cmp.Comparer(func(a, b fmt.Stringer) bool { return a.String() == b.String() })); diff != "" {
		t.Errorf("round trip changed the nodes (-before +after):\n%s", diff)
	}
	if !bytes.Equal(again.Marshal(), out) {
		t.Errorf("Marshal is not stable:\n%s\n%s", out, again.Marshal())
	}
}

// FuzzParseConfig: no panic on any input; every diagnostic has a position
// inside the input; the error agrees with HasErrors; an input without
// errors survives Marshal and a second parse.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		"cfguest11,weight=1,admIP=10.20.30.50:agent=SA_libvirtgp,timeout=35:agent=SA_libvirtgr,timeout=35\n",
		"n:agent=SA_a,timeout=1\n",
		"n,admIP=2001:db8::1:agent=SA_a,timeout=1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := sdfacility.ParseConfig(bytes.NewReader(data), "fuzz")
		if (err != nil) != cfg.Diagnostics.HasErrors() {
			t.Fatalf("error %v but HasErrors %v", err, cfg.Diagnostics.HasErrors())
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, d := range cfg.Diagnostics {
			if d.Line < 1 || d.Line > lines || d.Col < 1 || d.Code == "" {
				t.Fatalf("diagnostic out of the input (%d lines): %v", lines, d)
			}
		}
		if err == nil {
			checkRoundTrip(t, cfg)
		}
	})
}
