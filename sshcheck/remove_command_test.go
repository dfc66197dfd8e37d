package sshcheck

import (
	"os/exec"
	"testing"

	"github.com/sfkvm/sfkvm/internal/testenv"
)

// TestSingleQuotePastes: the ssh-keygen -R command shown for a changed key
// survives a known_hosts path with a quote in it, as a shell reads it.
func TestSingleQuotePastes(t *testing.T) {
	sh := testenv.LookPath(t, "sh", "dash")
	for _, w := range []string{"/root/.ssh/known_hosts", "/tmp/it's here", "[192.0.2.1]:2222", "a'b'c", ""} {
		out, err := exec.Command(sh, "-c", "printf %s "+singleQuote(w)).Output()
		if err != nil || string(out) != w {
			t.Errorf("%q: the shell read %q (%v)", w, out, err)
		}
	}
}

// TestErrorWithoutKind: an Error built by a caller without a Kind still
// prints.
func TestErrorWithoutKind(t *testing.T) {
	if got := (&Error{Address: "192.0.2.1:22"}).Error(); got != "192.0.2.1:22: failed" {
		t.Errorf("Error() = %q", got)
	}
}
