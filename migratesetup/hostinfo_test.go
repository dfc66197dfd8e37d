package migratesetup

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/diag"
)

var cfhost1 = HostInfo{CFName: "cfhost1", IP: netip.MustParseAddr("10.20.30.40")}

func TestFormatIsTextPaddedToSectors(t *testing.T) {
	b, err := cfhost1.Format()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != SectorSize {
		t.Fatalf("%d bytes, want one sector (%d)", len(b), SectorSize)
	}
	text, pad, _ := bytes.Cut(b, []byte{0})
	want := "# sfkvm host information, written by Register; do not edit\nformat 1\nhost-cfname cfhost1\nhost-ip 10.20.30.40\nweight-link on\n"
	if string(text) != want {
		t.Errorf("text:\n%s\nwant:\n%s", text, want)
	}
	if len(bytes.Trim(pad, "\x00")) != 0 {
		t.Error("padding is not all zero bytes")
	}
	long := HostInfo{CFName: strings.Repeat("n", 600), IP: netip.MustParseAddr("2001:db8::1"), NoWeightLink: true}
	if b, err := long.Format(); err != nil || len(b) != 2*SectorSize {
		t.Errorf("a long name: %d bytes (%v), want two sectors", len(b), err)
	}
}

func TestFormatParseRoundTrip(t *testing.T) {
	for _, h := range []HostInfo{
		cfhost1,
		{CFName: "cfhost2", IP: netip.MustParseAddr("2001:db8::2"), NoWeightLink: true},
		{CFName: "node_1.a-b", IP: netip.MustParseAddr("::ffff:192.0.2.1")},
	} {
		b, err := h.Format()
		if err != nil {
			t.Fatal(err)
		}
		got, err := Parse(bytes.NewReader(b), "hostinfo")
		if err != nil {
			t.Fatalf("%v: %v", h, err)
		}
		if got != h {
			t.Errorf("round trip: %+v, want %+v", got, h)
		}
	}
}

func TestFormatRefusesInvalidInfo(t *testing.T) {
	for _, h := range []HostInfo{
		{IP: netip.MustParseAddr("10.0.0.1")},
		{CFName: "a b", IP: netip.MustParseAddr("10.0.0.1")},
		{CFName: "cfhost1"},
		{CFName: "cfhost1", IP: netip.MustParseAddr("fe80::1")},
	} {
		if b, err := h.Format(); err == nil {
			t.Errorf("%+v formatted as %q", h, b)
		}
	}
}

func TestCheckHostIP(t *testing.T) {
	for _, tc := range []struct {
		ip   string
		code diag.Code
		sev  diag.Severity
	}{
		{"10.20.30.40", "", 0},
		{"2001:db8::10", "", 0},
		{"fe80::1", CodeIPLinkLocal, diag.Error},
		{"febf::1", CodeIPLinkLocal, diag.Error},
		{"fe80::1%eth0", CodeIPZone, diag.Error}, // and ip-link-local
		{"0.0.0.0", CodeIPNotUnicast, diag.Error},
		{"::", CodeIPNotUnicast, diag.Error},
		{"127.0.0.1", CodeIPNotUnicast, diag.Error},
		{"::1", CodeIPNotUnicast, diag.Error},
		{"224.0.0.1", CodeIPNotUnicast, diag.Error},
		{"ff02::1", CodeIPNotUnicast, diag.Error},
		{"255.255.255.255", CodeIPNotUnicast, diag.Error},
		{"::ffff:127.0.0.1", CodeIPNotUnicast, diag.Error},
		{"::ffff:192.0.2.1", CodeIPv4Mapped, diag.Warning},
		{"169.254.1.1", CodeIPv4LinkLocal, diag.Warning},
	} {
		ds := CheckHostIP(netip.MustParseAddr(tc.ip))
		if tc.code == "" {
			if len(ds) != 0 {
				t.Errorf("%s: %v, want nothing", tc.ip, ds)
			}
			continue
		}
		// The first problem is the one named; an address may break more
		// than one rule (a zone on a link-local address).
		if len(ds) == 0 || ds[0].Code != tc.code || ds[0].Severity != tc.sev || ds[0].Field != "host-ip" || !errors.Is(ds, tc.code) {
			t.Errorf("%s: %v, want %s %s", tc.ip, ds, tc.sev, tc.code)
		}
		_, err := ParseHostIP(tc.ip)
		if (err != nil) != (tc.sev == diag.Error) {
			t.Errorf("ParseHostIP(%s) = %v", tc.ip, err)
		}
	}
	var ds diag.Diagnostics
	if _, err := ParseHostIP("10.0.0.300"); !errors.As(err, &ds) || ds[0].Code != CodeIPSyntax {
		t.Errorf("ParseHostIP of a bad address: %v", err)
	}
}

func TestCheckCFName(t *testing.T) {
	for name, want := range map[string]diag.Code{
		"cfhost1":               "",
		"":                      CodeBadCFName,
		"a b":                   CodeBadCFName,
		"caf\xc3\xa9":           CodeBadCFName,
		"a:b":                   CodeNameCharset,
		strings.Repeat("n", 32): CodeNameLength,
	} {
		ds := CheckCFName(name)
		got := diag.Code("")
		if len(ds) > 0 {
			got = ds[0].Code
		}
		if got != want {
			t.Errorf("CheckCFName(%q) = %v, want %q", name, ds, want)
		}
	}
}

func TestParseReportsEachProblemWhereItIs(t *testing.T) {
	const good = "format 1\nhost-cfname cfhost1\nhost-ip 10.20.30.40\nweight-link off\n"
	for _, tc := range []struct {
		name, text string
		want       []string // Diagnostic.Error() of each, in order
	}{
		{"good, unpadded", good, nil},
		{"comments and blank lines", "# x\n\n" + good, nil},
		{"two spaces", "format 1\nhost-cfname  cfhost1\nhost-ip 10.20.30.40\nweight-link on\n",
			[]string{"f:2:13: error: hostinfo-syntax: want \"key value\" separated by one space, got \"host-cfname  cfhost1\"", "f: error: hostinfo-missing: no host-cfname line"}},
		{"CRLF", "format 1\r\nhost-cfname cfhost1\nhost-ip 10.20.30.40\nweight-link on\n",
			[]string{"f:1:9: error: hostinfo-cr: a carriage return (CRLF line ends); the file uses LF", "f: error: hostinfo-missing: no format line"}},
		{"link-local", "format 1\nhost-cfname cfhost1\nhost-ip fe80::1\nweight-link on\n",
			[]string{"f:3:9: error: ip-link-local: host IP fe80::1 is an IPv6 link-local address (fe80::/10), which the manual does not allow"}},
		{"bad IP", "format 1\nhost-cfname cfhost1\nhost-ip 10.0.0\nweight-link on\n",
			[]string{"f:3:9: error: ip-syntax: host IP \"10.0.0\" is not an IPv4 or IPv6 address"}},
		{"weight-link", "format 1\nhost-cfname cfhost1\nhost-ip 10.0.0.1\nweight-link yes\n",
			[]string{"f:4:13: error: hostinfo-weight-link: weight-link is \"yes\", want on or off"}},
		{"format not first", "host-cfname cfhost1\nformat 1\nhost-ip 10.0.0.1\nweight-link on\n",
			[]string{"f:1:1: error: hostinfo-version: the first line must be \"format 1\", got \"host-cfname cfhost1\""}},
		{"newer format", "format 2\nwhatever\n",
			[]string{"f:1:8: error: hostinfo-version: format 2 is newer than this reader understands (1); upgrade sfkvm"}},
		{"duplicate", good + "host-ip 10.0.0.2\n",
			[]string{"f:5:1: error: hostinfo-duplicate: host-ip again (first at line 3)"}},
		{"unknown key", good + "colour blue\n",
			[]string{"f:5:1: error: hostinfo-unknown-key: unknown key \"colour\" in format 1"}},
		{"no final newline", strings.TrimSuffix(good, "\n"),
			[]string{"f:4:16: error: hostinfo-no-newline: the last line has no newline"}},
		{"junk after padding", good + "\x00\x00x\x00",
			[]string{"f:5:3: error: hostinfo-bad-padding: a non-zero byte after the zero padding"}},
		{"binary", good + "\x01\n",
			[]string{"f:5:1: error: hostinfo-not-text: byte 0x01 is not printable ASCII"}},
		{"empty", "", []string{"f: error: hostinfo-missing: no format line", "f: error: hostinfo-missing: no host-cfname line",
			"f: error: hostinfo-missing: no host-ip line", "f: error: hostinfo-missing: no weight-link line"}},
		{"too large", good + strings.Repeat("#\n", MaxFileSize/2), []string{"f: error: hostinfo-too-large: more than 65536 bytes; not a host information file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Parse(strings.NewReader(tc.text), "f")
			var got []string
			var ds diag.Diagnostics
			if errors.As(err, &ds) {
				for _, d := range ds {
					got = append(got, d.Error())
				}
			} else if err != nil {
				t.Fatalf("error is not Diagnostics: %v", err)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if err == nil && (h.CFName != "cfhost1" || !h.NoWeightLink) {
				t.Errorf("parsed %+v", h)
			}
			if err != nil && h != (HostInfo{}) {
				t.Errorf("a value came back with the error: %+v", h)
			}
		})
	}
}

// TestSharedRulesAppliedToTheirField checks that the CF name and IP rules
// (internal/namerule, internal/iprule) land on the host information's own
// fields, with the column within the value, and match errors.Is under
// migratesetup's names.
func TestSharedRulesAppliedToTheirField(t *testing.T) {
	ds := HostInfo{CFName: "cf:host1", IP: netip.MustParseAddr("::ffff:10.0.0.1")}.Check()
	want := []string{
		`warning: name-charset: the host CF node name "cf:host1" contains ':', outside [A-Za-z0-9_.-]`,
		"warning: ip-v4-mapped: host IP ::ffff:10.0.0.1 is an IPv4-mapped IPv6 address; write it as 10.0.0.1",
	}
	if len(ds) != 2 || ds[0].Field != "host-cfname" || ds[0].Column != 3 || ds[1].Field != "host-ip" {
		t.Fatalf("Check = %+v", ds)
	}
	for i, d := range ds {
		if d.Error() != want[i] {
			t.Errorf("diagnostic %d = %q, want %q", i, d.Error(), want[i])
		}
	}
	if !errors.Is(ds, CodeNameCharset) || !errors.Is(ds, CodeIPv4Mapped) || errors.Is(ds, CodeNameLength) || ds.Err() != nil {
		t.Errorf("errors.Is on the codes, or Err() = %v with warnings only", ds.Err())
	}
}
