package kvmguests

import (
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	a := Copy{Name: "host1:kvmguests.conf", Data: []byte(good)}
	if c := Compare(a, Copy{Name: "host2:kvmguests.conf", Data: []byte(good)}); !c.Identical || c.Diff != "" {
		t.Errorf("identical copies: %+v", c)
	}
	other := strings.Replace(good, "D0860AB04E1B8FA3", "0123456789ABCDEF", 1)
	c := Compare(a, Copy{Name: "host2:kvmguests.conf", Data: []byte(other)})
	if c.Identical {
		t.Fatal("different tokens compared identical")
	}
	for _, want := range []string{"--- host1:kvmguests.conf", "+++ host2:kvmguests.conf", "-guest11 cfhost1", "+guest11 cfhost1", "<token hmac:"} {
		if !strings.Contains(c.Diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, c.Diff)
		}
	}
	if strings.Contains(c.Diff, "D0860AB04E1B8FA3") || strings.Contains(c.Diff, "0123456789ABCDEF") {
		t.Errorf("diff shows a token:\n%s", c.Diff)
	}
	crlf := strings.Replace(good, "\n", "\r\n", 1)
	if c := Compare(a, Copy{Name: "b", Data: []byte(crlf)}); c.Identical || c.Diff == "" {
		t.Errorf("CRLF copy: %+v", c)
	}
}

// TestMalformedLinesKeepSecrets: on a malformed line it cannot be told which
// field is the password, so neither a printed Line nor a diff shows any
// field that could be one.
func TestMalformedLinesKeepSecrets(t *testing.T) {
	for _, line := range []string{
		"g1 h1 c1 n1 10.0.0.1 hunter2",               // guest_user missing
		"g1 h1 c1 n1 10.0.0.1 root hunter2 extra",    // a field too many
		"g1  h1 c1 n1 10.0.0.1 root hunter2",         // double space: 7 fields still
		"hunter2",                                    // a password alone on a line
		"g1 h1 c1 n1 10.0.0.1 root D0860AB04E1B8FA3", // well-formed
	} {
		cfg, _ := ParseBytes([]byte(line+"\n"), "f", Options{})
		l := cfg.Lines[0]
		var printed strings.Builder
		printed.WriteString(sprintf("%v %+v %s %q %#v", l, l, l.Text, l.Text, l.Text))
		printed.WriteString(logLine(Guest{}) + jsonOf(t, cfg))
		c := Compare(Copy{Name: "a", Data: []byte(line + "\n")}, Copy{Name: "b", Data: []byte("# another copy\n" + line + "\n")})
		printed.WriteString(c.Diff)
		for _, secret := range []string{"hunter2", "D0860AB04E1B8FA3"} {
			if strings.Contains(printed.String(), secret) {
				t.Errorf("%q: %s shown:\n%s", line, secret, printed.String())
			}
		}
		if l.Text.Reveal() != line {
			t.Errorf("Reveal = %q, want %q", l.Text.Reveal(), line)
		}
	}
	if got := RedactLine("g1 h1 c1 n1 10.0.0.1 root D0860AB04E1B8FA3"); !strings.HasPrefix(got, "g1 h1 c1 n1 10.0.0.1 root <token hmac:") {
		t.Errorf("RedactLine of a good line = %q: only guest_passwd is hidden", got)
	}
}
