package cipher

import "testing"

func TestTokenShapes(t *testing.T) {
	for _, tc := range []struct {
		in             string
		vendor, sealed bool
	}{
		{"D0860AB04E1B8FA3", true, false},
		{"d0860ab04e1b8fa3", false, false},
		{"D0860AB04E1B8FA", false, false},
		{"", false, false},
		{"secret", false, false},
		{"sfkvm1.AbC-_09", false, true},
		{"sfkvm1.", false, false},
		{"sfkvm1.ab+c", false, false},
		{"SFKVM1.ABC", false, false},
	} {
		if got := IsVendorToken(tc.in); got != tc.vendor {
			t.Errorf("IsVendorToken(%q) = %v, want %v", tc.in, got, tc.vendor)
		}
		if got := IsSealedToken(tc.in); got != tc.sealed {
			t.Errorf("IsSealedToken(%q) = %v, want %v", tc.in, got, tc.sealed)
		}
	}
}
