package namerule

import (
	"errors"
	"testing"

	"github.com/sfkvm/sfkvm/diag"
)

func TestCheck(t *testing.T) {
	type want struct {
		code   diag.Code
		column int
	}
	tests := []struct {
		name, in string
		max      int
		want     []want
	}{
		{"good", "cf-node_1.a", MaxCFName, nil},
		{"good/at-limit", "n123456789012345678901234567890", MaxCFName, nil},
		{"name-charset/slash", "g/1", MaxCFName, []want{{CodeCharset, 2}}},
		{"name-charset/first-only", "a b c", MaxCFName, []want{{CodeCharset, 2}}},
		{"name-charset/control", "a\x01", MaxCFName, []want{{CodeCharset, 2}}},
		{"name-charset/non-ascii", "é", MaxCFName, []want{{CodeCharset, 1}}},
		{"name-length/cf", "n1234567890123456789012345678901", MaxCFName, []want{{CodeLength, 32}}},
		{"name-length/domain", "g12345678901234567890123456789012345678901234567890123456789012345", 64, []want{{CodeLength, 65}}},
		{"both", "n12345678901234567890123456789012 x", MaxCFName, []want{{CodeCharset, 34}, {CodeLength, 32}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := Check("guest-cfname", tc.in, tc.max)
			if len(ds) != len(tc.want) {
				t.Fatalf("Check(%q) = %v, want %d diagnostics", tc.in, ds, len(tc.want))
			}
			for i, w := range tc.want {
				if d := ds[i]; d.Code != w.code || d.Column != w.column || d.Severity != diag.Warning || !errors.Is(d, w.code) {
					t.Errorf("diagnostic %d = %+v, want %s at column %d, a warning", i, d, w.code, w.column)
				}
			}
		})
	}
}

func TestIsName(t *testing.T) {
	for in, want := range map[string]bool{"": false, "node1": true, "SA_kvm": true, "a b": false, "a=b": false, "a:b": false, "x\n": false} {
		if got := IsName(in); got != want {
			t.Errorf("IsName(%q) = %t, want %t", in, got, want)
		}
	}
}

func TestMessagesNameTheFieldAndEscape(t *testing.T) {
	ds := Check("guest-cfname", "a\x1bb", MaxCFName)
	if want := `guest-cfname "a\x1bb" contains the control character 0x1B, outside [A-Za-z0-9_.-]`; len(ds) != 1 || ds[0].Message != want {
		t.Errorf("message = %v, want %q", ds, want)
	}
}

func TestCheckOfAGoodNameDoesNotAllocate(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _ = Check("guest-name", "guest-01.example", 64) }); n != 0 {
		t.Errorf("Check allocates %v times for a good name", n)
	}
}
