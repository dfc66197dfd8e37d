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
	for _, want := range []string{"--- host1:kvmguests.conf", "+++ host2:kvmguests.conf", "-guest11 cfhost1", "+guest11 cfhost1", "<token sha256:"} {
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
