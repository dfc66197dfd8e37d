package iprule

import (
	"errors"
	"net/netip"
	"slices"
	"testing"

	"github.com/sfkvm/sfkvm/diag"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     []diag.Code
	}{
		{"good/v4", "10.0.0.1", nil},
		{"good/v6", "2001:db8::1", nil},
		{"ip-syntax", "10.0.0.256", []diag.Code{CodeSyntax}},
		{"ip-syntax/empty", "", []diag.Code{CodeSyntax}},
		{"ip-zone", "2001:db8::1%eth0", []diag.Code{CodeZone}},
		{"ip-link-local", "fe80::1", []diag.Code{CodeLinkLocal}},
		{"ip-link-local/with-zone", "fe80::1%eth0", []diag.Code{CodeZone, CodeLinkLocal}},
		{"ip-not-unicast/loopback", "127.0.0.1", []diag.Code{CodeNotUnicast}},
		{"ip-not-unicast/unspecified-v6", "::", []diag.Code{CodeNotUnicast}},
		{"ip-not-unicast/multicast", "224.0.0.1", []diag.Code{CodeNotUnicast}},
		{"ip-not-unicast/broadcast", "255.255.255.255", []diag.Code{CodeNotUnicast}},
		{"ip-not-unicast/mapped-unspecified", "::ffff:0.0.0.0", []diag.Code{CodeNotUnicast, CodeV4Mapped}},
		{"ip-v4-link-local", "169.254.1.1", []diag.Code{CodeV4LinkLocal}},
		{"ip-v4-mapped", "::ffff:10.0.0.1", []diag.Code{CodeV4Mapped}},
		{"ip-v4-mapped/link-local", "::ffff:169.254.1.1", []diag.Code{CodeV4LinkLocal, CodeV4Mapped}},
		{"ip-not-canonical", "2001:DB8::1", []diag.Code{CodeNotCanonical}},
		{"ip-not-canonical/zeros", "2001:db8:0:0::1", []diag.Code{CodeNotCanonical}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, ds := Parse("guest_IP", tc.in)
			var got []diag.Code
			for _, d := range ds {
				got = append(got, d.Code)
				if d.Column != 1 || !d.Severity.IsValid() || !errors.Is(d, d.Code) {
					t.Errorf("%+v: want column 1, a valid severity, errors.Is on its code", d)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Parse(%q) codes = %v, want %v (%v)", tc.in, got, tc.want, ds)
			}
			if a.IsValid() == slices.Contains(tc.want, CodeSyntax) {
				t.Errorf("Parse(%q) address %v valid = %t", tc.in, a, a.IsValid())
			}
		})
	}
}

func TestSeverities(t *testing.T) {
	errs := map[diag.Code]bool{CodeSyntax: true, CodeZone: true, CodeLinkLocal: true, CodeNotUnicast: true}
	for _, in := range []string{"x", "fe80::1%eth0", "127.0.0.1", "::ffff:169.254.1.1", "2001:DB8::1"} {
		_, ds := Parse("host IP", in)
		for _, d := range ds {
			if want := map[bool]diag.Severity{true: diag.Error, false: diag.Warning}[errs[d.Code]]; d.Severity != want {
				t.Errorf("%s: %s is a %s, want %s", in, d.Code, d.Severity, want)
			}
		}
	}
}

func TestCheckOfTheZeroAddr(t *testing.T) {
	if ds := Check("host IP", netip.Addr{}); len(ds) != 1 || ds[0].Code != CodeSyntax || ds[0].Message != "no host IP address" {
		t.Errorf("Check(zero) = %v", ds)
	}
}

func TestParseOfAGoodAddressDoesNotAllocate(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _, _ = Parse("guest_IP", "2001:db8::1") }); n != 0 {
		t.Errorf("Parse allocates %v times for a good address", n)
	}
}
