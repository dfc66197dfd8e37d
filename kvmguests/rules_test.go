package kvmguests

import (
	"errors"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/diag"
)

const good = "guest11 cfhost1 cluster1 cfguest11 10.20.30.50 user1 D0860AB04E1B8FA3\n"

// want is one expected diagnostic: its code, line, column and severity.
type want struct {
	code diag.Code
	line int
	col  int
	sev  diag.Severity
}

// TestRules has one case per rule, named after its code. Each input breaks
// exactly that rule, so the case also proves no other rule fires.
func TestRules(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		opts  Options
		wants []want
	}{
		{"valid", good, Options{}, nil},
		{"field-count/too-few", "g1 h1 c1 n1 10.0.0.1 root\n", Options{}, []want{{ErrFieldCount, 1, 26, diag.Error}}},
		{"field-count/too-many", "g1 h1 c1 n1 10.0.0.1 root D0860AB04E1B8FA3 extra\n", Options{}, []want{{ErrFieldCount, 1, 44, diag.Error}}},
		{"leading-space", " " + good, Options{}, []want{{ErrLeadingSpace, 1, 1, diag.Error}}},
		{"trailing-space", strings.TrimSuffix(good, "\n") + " \n", Options{}, []want{{ErrTrailingSpace, 1, 70, diag.Error}}},
		{"double-space/manual-example", "guest11 cfhost1 cluster1 cfguest11  10.20.30.50 user1 D0860AB04E1B8FA3\n", Options{}, []want{{ErrDoubleSpace, 1, 36, diag.Error}}},
		{"tab", "guest11\tcfhost1 cluster1 cfguest11 10.20.30.50 user1 D0860AB04E1B8FA3\n", Options{}, []want{{ErrTab, 1, 8, diag.Error}}},
		{"crlf", strings.TrimSuffix(good, "\n") + "\r\n", Options{}, []want{{ErrCRLF, 1, 70, diag.Error}}},
		// A BOM is named, once, and the line is checked without it (no
		// name-charset warning for its bytes); columns count its 3 bytes.
		{"bom", "\xEF\xBB\xBF" + good, Options{}, []want{{ErrBOM, 1, 1, diag.Error}}},
		{"bom/columns", "\xEF\xBB\xBFguest11 cfhost1 cluster1 cfguest11  10.20.30.50 user1 D0860AB04E1B8FA3\n", Options{}, []want{{ErrBOM, 1, 1, diag.Error}, {ErrDoubleSpace, 1, 39, diag.Error}}},
		{"bom/only-at-the-start", good + "\xEF\xBB\xBFg2 h2 c2 n2 10.0.0.2 root D0860AB04E1B8FA3\n", Options{}, []want{{WarnNameCharset, 2, 1, diag.Warning}}},
		{"control-char", "gu\x01est11 cfhost1 cluster1 cfguest11 10.20.30.50 user1 D0860AB04E1B8FA3\n", Options{}, []want{{ErrControlChar, 1, 3, diag.Error}, {WarnNameCharset, 1, 3, diag.Warning}}},
		{"ip-syntax", "g1 h1 c1 n1 10.0.0.256 root D0860AB04E1B8FA3\n", Options{}, []want{{ErrIPSyntax, 1, 13, diag.Error}}},
		{"ip-zone", "g1 h1 c1 n1 2001:db8::1%eth0 root D0860AB04E1B8FA3\n", Options{}, []want{{ErrIPZone, 1, 13, diag.Error}}},
		{"ip-link-local", "g1 h1 c1 n1 fe80::1 root D0860AB04E1B8FA3\n", Options{}, []want{{ErrIPLinkLocal, 1, 13, diag.Error}}},
		{"ip-not-unicast/loopback", "g1 h1 c1 n1 127.0.0.1 root D0860AB04E1B8FA3\n", Options{}, []want{{ErrIPNotUnicast, 1, 13, diag.Error}}},
		{"ip-not-unicast/unspecified", "g1 h1 c1 n1 :: root D0860AB04E1B8FA3\n", Options{}, []want{{ErrIPNotUnicast, 1, 13, diag.Error}}},
		{"ip-not-unicast/multicast", "g1 h1 c1 n1 224.0.0.1 root D0860AB04E1B8FA3\n", Options{}, []want{{ErrIPNotUnicast, 1, 13, diag.Error}}},
		{"ip-not-unicast/broadcast", "g1 h1 c1 n1 255.255.255.255 root D0860AB04E1B8FA3\n", Options{}, []want{{ErrIPNotUnicast, 1, 13, diag.Error}}},
		{"ip-v4-mapped", "g1 h1 c1 n1 ::ffff:10.0.0.1 root D0860AB04E1B8FA3\n", Options{}, []want{{WarnIPv4Mapped, 1, 13, diag.Warning}}},
		{"ip-v4-link-local", "g1 h1 c1 n1 169.254.1.1 root D0860AB04E1B8FA3\n", Options{}, []want{{WarnIPv4LinkLocal, 1, 13, diag.Warning}}},
		{"ip-not-canonical", "g1 h1 c1 n1 2001:DB8::1 root D0860AB04E1B8FA3\n", Options{}, []want{{WarnIPNotCanon, 1, 13, diag.Warning}}},
		{"passwd-not-token", "g1 h1 c1 n1 10.0.0.1 root hunter2\n", Options{}, []want{{ErrPasswdNotToken, 1, 27, diag.Error}}},
		{"passwd-odd-length", "g1 h1 c1 n1 10.0.0.1 root D0860AB04E1B8FA\n", Options{}, []want{{ErrPasswdOddLength, 1, 27, diag.Error}}},
		{"passwd-sealed", "g1 h1 c1 n1 10.0.0.1 root sfkvm1.AAAA\n", Options{}, []want{{ErrPasswdSealed, 1, 27, diag.Error}}},
		{"passwd-sealed/allowed", "g1 h1 c1 n1 10.0.0.1 root sfkvm1.AAAA\n", Options{AllowSealed: true}, []want{{ErrPasswdSealed, 1, 27, diag.Warning}}},
		{"passwd-block-length", "g1 h1 c1 n1 10.0.0.1 root D0860AB0\n", Options{}, []want{{WarnPasswdBlock, 1, 27, diag.Warning}}},
		{"passwd-lowercase", "g1 h1 c1 n1 10.0.0.1 root d0860ab04e1b8fa3\n", Options{}, []want{{WarnPasswdLower, 1, 27, diag.Warning}}},
		{"dup-guest-name", "g1 h1 c1 n1 10.0.0.1 root D0860AB04E1B8FA3\ng1 h2 c1 n2 10.0.0.2 root D0860AB04E1B8FA3\n", Options{}, []want{{ErrDupGuestName, 2, 1, diag.Error}}},
		{"dup-node", "g1 h1 c1 n1 10.0.0.1 root D0860AB04E1B8FA3\ng2 h2 c1 n1 10.0.0.2 root D0860AB04E1B8FA3\n", Options{}, []want{{ErrDupNode, 2, 10, diag.Error}}},
		{"dup-node/other-cluster-is-fine", "g1 h1 c1 n1 10.0.0.1 root D0860AB04E1B8FA3\ng2 h2 c2 n1 10.0.0.2 root D0860AB04E1B8FA3\n", Options{}, nil},
		{"dup-ip", "g1 h1 c1 n1 10.0.0.1 root D0860AB04E1B8FA3\ng2 h2 c1 n2 10.0.0.1 root D0860AB04E1B8FA3\n", Options{}, []want{{ErrDupIP, 2, 13, diag.Error}}},
		{"dup-ip/mapped", "g1 h1 c1 n1 10.0.0.1 root D0860AB04E1B8FA3\ng2 h2 c1 n2 ::ffff:10.0.0.1 root D0860AB04E1B8FA3\n", Options{}, []want{{WarnIPv4Mapped, 2, 13, diag.Warning}, {ErrDupIP, 2, 13, diag.Error}}},
		{"same-host", "g1 h1 c1 n1 10.0.0.1 root D0860AB04E1B8FA3\ng2 h1 c1 n2 10.0.0.2 root D0860AB04E1B8FA3\n", Options{}, []want{{WarnSameHost, 2, 4, diag.Warning}}},
		{"name-charset", "g/1 h1 c1 n1 10.0.0.1 root D0860AB04E1B8FA3\n", Options{}, []want{{WarnNameCharset, 1, 2, diag.Warning}}},
		{"name-length/cf", "g1 h1 c1 n123456789012345678901234567890123 10.0.0.1 root D0860AB04E1B8FA3\n", Options{}, []want{{WarnNameLength, 1, 41, diag.Warning}}},
		{"name-length/domain", strings.Repeat("g", 65) + " h1 c1 n1 10.0.0.1 root D0860AB04E1B8FA3\n", Options{}, []want{{WarnNameLength, 1, 65, diag.Warning}}},
		{"user-name", "g1 h1 c1 n1 10.0.0.1 -root D0860AB04E1B8FA3\n", Options{}, []want{{WarnUserName, 1, 22, diag.Warning}}},
		{"blank-line", "\n" + good, Options{}, []want{{WarnBlankLine, 1, 1, diag.Warning}}},
		{"comment-line", "# hosts of cluster1\n" + good, Options{}, []want{{WarnCommentLine, 1, 1, diag.Warning}}},
		{"no-final-newline", strings.TrimSuffix(good, "\n"), Options{}, []want{{WarnNoFinalLF, 1, 70, diag.Warning}}},
		{"no-guests", "", Options{}, []want{{WarnNoGuests, 0, 0, diag.Warning}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := ParseBytes([]byte(tc.in), "kvmguests.conf", tc.opts)
			var got []want
			for _, d := range diags {
				got = append(got, want{d.Code, d.Line, d.Column, d.Severity})
			}
			if len(got) != len(tc.wants) {
				t.Fatalf("got %d diagnostics, want %d:\n%v", len(got), len(tc.wants), diags)
			}
			for i := range got {
				if got[i] != tc.wants[i] {
					t.Errorf("diagnostic %d = %+v, want %+v (%s)", i, got[i], tc.wants[i], diags[i])
				}
			}
			for _, w := range tc.wants {
				if !errors.Is(diags, w.code) {
					t.Errorf("errors.Is(diags, %s) = false", w.code)
				}
			}
		})
	}
}

// TestPasswordNeverEchoed: whatever is in guest_passwd, no message shows it.
func TestPasswordNeverEchoed(t *testing.T) {
	for _, pw := range []string{"hunter2", "S3cret-pass", "D0860AB04E1B8FA", "sfkvm1.AAAA", "abc\x01def", "d0860ab04e1b8fa3"} {
		for _, opts := range []Options{{}, {AllowSealed: true}} {
			line := "g1 h1 c1 n1 10.0.0.1 root " + pw + "\n"
			cfg, diags := ParseBytes([]byte(line), "f", opts)
			if len(diags) == 0 {
				t.Fatalf("%q: no diagnostic", pw)
			}
			for _, d := range diags {
				if strings.Contains(d.Error(), pw) {
					t.Errorf("diagnostic shows the password: %s", d)
				}
			}
			for _, g := range cfg.Guests() {
				if strings.Contains(g.String(), pw) {
					t.Errorf("Guest.String shows the password: %s", g)
				}
			}
		}
	}
}

func TestFieldNamed(t *testing.T) {
	_, diags := ParseBytes([]byte("g1 h1 c1 n1 10.0.0.1 root hunter2\n"), "f", Options{})
	if len(diags) != 1 || diags[0].Field != FieldPasswd {
		t.Fatalf("got %v, want one diagnostic on field %s", diags, FieldPasswd)
	}
}

// TestManualExample parses the manual's own example as printed: its first
// line separates two fields with two spaces (the manual breaks its own
// rule), and cfguest12 is in two clusters (which is allowed).
func TestManualExample(t *testing.T) {
	in := "guest11 cfhost1 cluster1 cfguest11  10.20.30.50 user1 D0860AB04E1B8FA3\n" +
		"guest12 cfhost2 cluster1 cfguest12  10.20.30.51 user2 D0860AB04E1B8FA3\n" +
		"guest21 cfhost1 cluster2 cfguest21  10.20.30.60 user3 D0860AB04E1B8FA3\n" +
		"guest22 cfhost2 cluster2 cfguest12  10.20.30.61 user4 D0860AB04E1B8FA3\n"
	cfg, diags := ParseBytes([]byte(in), "kvmguests.conf", Options{})
	if n := len(cfg.Guests()); n != 4 {
		t.Errorf("read %d guests, want 4", n)
	}
	if len(diags) != 4 {
		t.Fatalf("got %v, want one double-space per line", diags)
	}
	for i, d := range diags {
		if d.Code != ErrDoubleSpace || d.Line != i+1 || d.Column != 36 {
			t.Errorf("diagnostic %d = %s, want double-space at %d:36", i, d, i+1)
		}
	}
	if got := diags[0].Error(); got != "kvmguests.conf:1:36: error: double-space: 2 spaces between fields; separate fields with exactly one space" {
		t.Errorf("message = %q", got)
	}
}

func TestLongLine(t *testing.T) {
	in := strings.Repeat("x", 200<<10) + "\n" + good
	cfg, diags := ParseBytes([]byte(in), "f", Options{})
	if len(cfg.Lines) != 2 || len(cfg.Guests()) != 1 {
		t.Fatalf("lines %d guests %d", len(cfg.Lines), len(cfg.Guests()))
	}
	if !errors.Is(diags, ErrFieldCount) || diags[0].Line != 1 {
		t.Errorf("diags = %v", diags)
	}
}

func TestErrOnlyForErrors(t *testing.T) {
	_, diags := ParseBytes([]byte("\n"+good), "f", Options{})
	if diags.Err() != nil || diags.Count(diag.Warning) != 1 {
		t.Errorf("warnings only: Err() = %v, warnings %d", diags.Err(), diags.Count(diag.Warning))
	}
	_, diags = ParseBytes([]byte(" "+good), "f", Options{})
	if diags.Err() == nil {
		t.Error("Err() = nil with an error")
	}
}

// TestSharedRulesAppliedToTheirField checks that the name and IP rules of
// internal/namerule and internal/iprule land on kvmguests' own field, file,
// line and column, and that errors.Is matches them under kvmguests' names.
func TestSharedRulesAppliedToTheirField(t *testing.T) {
	in := good + "g2 h1 c1 n/2 ::ffff:10.0.0.9 root D0860AB04E1B8FA3\n"
	_, diags := ParseBytes([]byte(in), "kvmguests.conf", Options{})
	wants := []struct {
		code    diag.Code
		field   string
		col     int
		message string
	}{
		{WarnNameCharset, FieldGuestCFName, 11, `guest-cfname "n/2" contains '/', outside [A-Za-z0-9_.-]`},
		{WarnIPv4Mapped, FieldIP, 14, "guest_IP ::ffff:10.0.0.9 is an IPv4-mapped IPv6 address; write it as 10.0.0.9"},
	}
	if len(diags) != len(wants) {
		t.Fatalf("got %v, want %d diagnostics", diags, len(wants))
	}
	for i, w := range wants {
		d := diags[i]
		if d.File != "kvmguests.conf" || d.Line != 2 || d.Column != w.col || d.Field != w.field || d.Message != w.message || !errors.Is(d, w.code) {
			t.Errorf("diagnostic %d = %+v, want %s on %s at 2:%d: %q", i, d, w.code, w.field, w.col, w.message)
		}
	}
	if !errors.Is(diags, WarnIPv4Mapped) || errors.Is(diags, ErrIPSyntax) {
		t.Errorf("errors.Is on the list: mapped %t, syntax %t", errors.Is(diags, WarnIPv4Mapped), errors.Is(diags, ErrIPSyntax))
	}
}
