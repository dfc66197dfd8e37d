package token

import "testing"

func TestShapes(t *testing.T) {
	for _, tc := range []struct {
		in                  string
		vendor, sealed, hex bool
	}{
		{"D0860AB04E1B8FA3", true, false, true},
		{"d0860ab04e1b8fa3", false, false, true},
		{"D0860AB04E1B8FA", false, false, true},
		{"", false, false, false},
		{"secret", false, false, false},
		{"sfkvm1.AbC-_09", false, true, false},
		{"sfkvm1.", false, false, false},
		{"sfkvm1.ab+c", false, false, false},
		{"sfkvm1.abc=", false, false, false},
		{"SFKVM1.ABC", false, false, false},
	} {
		if got := IsVendor(tc.in); got != tc.vendor {
			t.Errorf("IsVendor(%q) = %v, want %v", tc.in, got, tc.vendor)
		}
		if got := IsSealed(tc.in); got != tc.sealed {
			t.Errorf("IsSealed(%q) = %v, want %v", tc.in, got, tc.sealed)
		}
		if got := IsHex(tc.in); got != tc.hex {
			t.Errorf("IsHex(%q) = %v, want %v", tc.in, got, tc.hex)
		}
	}
}
