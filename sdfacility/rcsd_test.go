package sdfacility_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sfkvm/sfkvm/diag"
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
	var ds diag.Diagnostics
	if !errors.As(err, &ds) || len(ds) != 1 || ds[0].Error() != `rcsd.cfg:1:11: error: bad-weight: weight "x" is not a whole number of at least 1` {
		t.Errorf("err = %v", err)
	}
	if _, err := sdfacility.ReadConfigFile(filepath.Join(t.TempDir(), "rcsd.cfg")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want ErrNotExist", err)
	}
	// A FIFO or a device where the file belongs is refused on its type,
	// at once: a blocking open of a FIFO would hang for ever.
	fifo := filepath.Join(t.TempDir(), "rcsd.cfg")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for path, says := range map[string]string{fifo: "not a regular file (a FIFO)", "/dev/zero": "not a regular file (a character device)"} {
		if _, err := sdfacility.ReadConfigFile(path); err == nil || !strings.Contains(err.Error(), path+": is "+says) {
			t.Errorf("%s: err = %v, want it to say %q", path, err, says)
		}
	}
}

func TestConfigMarshalRoundTrip(t *testing.T) {
	for _, in := range []string{"testdata/rcsd/manual.cfg", "testdata/rcsd/hosts.cfg", "testdata/rcsd/cfguide.cfg"} {
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
		"node1,weight=2,admIP=fuji2:agent=SA_mmbp,timeout=20:agent=SA_mmbr,timeout=20\n",
		"node2,admnIP=fuji3.example:agent=SA_mmbp,timeout=20\n",
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
			if d.Line < 1 || d.Line > lines || d.Column < 1 || d.Code == "" {
				t.Fatalf("diagnostic out of the input (%d lines): %v", lines, d)
			}
		}
		if err == nil {
			checkRoundTrip(t, cfg)
		}
	})
}

// The Cluster Foundation guide's own line (4.3 English and 4.7 Japanese,
// section 7.4.1) names admIP by host name: read without a diagnostic, and
// written back the same.
func TestParseConfigCFGuideLine(t *testing.T) {
	const line = "node1,weight=2,admIP=fuji2:agent=SA_mmbp,timeout=20:agent=SA_mmbr,timeout=20\n"
	cfg, err := sdfacility.ParseConfig(strings.NewReader(line), "rcsd.cfg")
	if err != nil || len(cfg.Diagnostics) != 0 {
		t.Fatalf("err %v diagnostics %v", err, cfg.Diagnostics)
	}
	n, ok := cfg.Node("node1")
	if !ok || n.Weight != 2 || !n.AdminIP.IsName() || n.AdminIP.Name() != "fuji2" || n.AdminIP.Addr().IsValid() ||
		len(n.Agents) != 2 || n.Agents[1] != (sdfacility.AgentConfig{Name: "SA_mmbr", Timeout: 20 * time.Second}) {
		t.Errorf("node1 read as %+v", n)
	}
	if got := string(cfg.Marshal()); got != line {
		t.Errorf("Marshal = %q, want the guide's line", got)
	}
	checkRoundTrip(t, cfg)
}

// The 4.5 guide spells the key admnIP: the same key, with a warning of its
// own code, and a duplicate of admIP.
func TestParseConfigAdmnIPSpelling(t *testing.T) {
	cfg, err := sdfacility.ParseConfig(strings.NewReader("node1,admnIP=fuji2:agent=SA_mmbp,timeout=20\n"), "rcsd.cfg")
	if err != nil || len(cfg.Diagnostics) != 1 {
		t.Fatalf("err %v diagnostics %v; want one warning", err, cfg.Diagnostics)
	}
	if d := cfg.Diagnostics[0]; d.Code != sdfacility.CodeAdmnIP || d.Severity != diag.Warning || d.Column != 7 || d.Field != "admIP" {
		t.Errorf("diagnostic %v", d)
	}
	if n := cfg.Nodes[0]; n.AdminIP.String() != "fuji2" {
		t.Errorf("admIP %q", n.AdminIP)
	}
	if string(cfg.Marshal()) != "node1,weight=1,admIP=fuji2:agent=SA_mmbp,timeout=20\n" {
		t.Errorf("Marshal = %q, want the admIP spelling", cfg.Marshal())
	}
	_, err = sdfacility.ParseConfig(strings.NewReader("n,admnIP=a,admIP=b:agent=SA_a,timeout=1\n"), "rcsd.cfg")
	if err == nil || !strings.Contains(err.Error(), "duplicate-option: admIP given twice") {
		t.Errorf("admnIP and admIP together: %v", err)
	}
}

func TestParseAdminHost(t *testing.T) {
	for _, tc := range []struct {
		in     string
		name   bool   // valid, as a name
		addr   string // valid, as this address
		reason string // refused, saying this
	}{
		{in: "fuji2", name: true},
		{in: "FUJI2.example.COM", name: true},
		{in: "3com", name: true},
		{in: "a-b.c-d", name: true},
		{in: strings.Repeat("a", 63) + ".example", name: true},
		{in: "192.0.2.1", addr: "192.0.2.1"},
		{in: "2001:db8::1", addr: "2001:db8::1"},
		{in: "::ffff:192.0.2.1", addr: "::ffff:192.0.2.1"},
		{in: "", reason: "empty"},
		{in: "10.0.0.300", reason: "all digits after the last dot"},
		{in: "1.2.3", reason: "all digits after the last dot"},
		{in: "123", reason: "all digits after the last dot"},
		{in: "2001:db8::g", reason: "holds ':'"},
		{in: "fuji.", reason: "ends without a dot"},
		{in: ".fuji", reason: "empty label"},
		{in: "-fuji", reason: "starts or ends with '-'"},
		{in: "fu_ji", reason: "byte '_'"},
		{in: "fuji\x1b[2J", reason: "byte 0x1b"},
		{in: "fúji", reason: "byte 0xc3"},
		{in: strings.Repeat("a", 64), reason: "at most 63"},
		{in: strings.Repeat("a.", 127) + "ab", reason: "at most 253"},
	} {
		h, err := sdfacility.ParseAdminHost(tc.in)
		switch {
		case tc.reason != "":
			if !errors.Is(err, sdfacility.ErrBadAdminHost) || !strings.Contains(err.Error(), tc.reason) || h.IsValid() {
				t.Errorf("%q: %v, %v; want refused: %s", tc.in, h, err, tc.reason)
			}
		case err != nil || !h.IsValid() || h.IsName() != tc.name || (tc.name && h.Name() != tc.in) || (!tc.name && h.Addr().String() != tc.addr):
			t.Errorf("%q: %+v, %v", tc.in, h, err)
		}
	}
	if h := (sdfacility.AdminHost{}); h.IsValid() || h.String() != "" {
		t.Errorf("zero AdminHost valid %v, %q", h.IsValid(), h)
	}
}

// A node's admIP survives JSON: a name as a name, an address as an
// address, none as none.
func TestAdminHostJSON(t *testing.T) {
	cfg, err := sdfacility.ReadConfigFile("testdata/rcsd/cfguide.cfg")
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(cfg.Nodes)
	if err != nil {
		t.Fatal(err)
	}
	var back []sdfacility.NodeConfig
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if diff := cmp.Diff(cfg.Nodes, back, cmp.Comparer(func(a, b sdfacility.AdminHost) bool { return a == b })); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(data), `"admin_ip":"fuji2"`) || !strings.Contains(string(data), `"timeout_seconds":20`) {
		t.Errorf("JSON %s", data)
	}
	none, _ := json.Marshal(sdfacility.NodeConfig{Name: "n"})
	if strings.Contains(string(none), "admin_ip") {
		t.Errorf("a node without admIP writes %s", none)
	}
	var h sdfacility.AdminHost
	if err := json.Unmarshal([]byte(`"fu_ji"`), &h); !errors.Is(err, sdfacility.ErrBadAdminHost) {
		t.Errorf("bad name from JSON: %v", err)
	}
}

// TestParseConfigCodesWorkWithErrorsIs: every diagnostic matches its code
// with errors.Is, on the list and on the error ParseConfig returns; the CF
// name rule shared with kvmguests lands on the node field at the byte.
func TestParseConfigCodesWorkWithErrorsIs(t *testing.T) {
	in := "node+1:agent=SA_kvm,timeout=20\nnode2:agent=SA_kvm,timeout=20\nnode2:agent=SA_kvm,timeout=20\n"
	cfg, err := sdfacility.ParseConfig(strings.NewReader(in), "rcsd.cfg")
	if !errors.Is(err, sdfacility.CodeDuplicateNode) || errors.Is(err, sdfacility.CodeNameCharset) {
		t.Errorf("err %v: want duplicate-node, and no warning in the error", err)
	}
	if !errors.Is(cfg.Diagnostics, sdfacility.CodeNameCharset) || errors.Is(cfg.Diagnostics, sdfacility.CodeNameLength) {
		t.Errorf("diagnostics %v: want name-charset only", cfg.Diagnostics)
	}
	d := cfg.Diagnostics[0]
	if d.Code != sdfacility.CodeNameCharset || d.Line != 1 || d.Column != 5 || d.Field != "node" || d.Severity != diag.Warning {
		t.Errorf("first diagnostic %+v: want name-charset on node at 1:5", d)
	}
}
