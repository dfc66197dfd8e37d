package sshcheck

import (
	"strings"
	"testing"
)

// TestErrorNamesAScriptByItsFirstLine: an error about a script sent with
// sh -c names it by its first line, not by its whole text (which buried
// the reason); a one-line command stays whole.
func TestErrorNamesAScriptByItsFirstLine(t *testing.T) {
	script := "sh -c 'set -u\nf=$1\n" + strings.Repeat("echo step\n", 200) + "' sh /root/.ssh/known_hosts"
	for _, tc := range []struct {
		cmd, want string
		max       int
	}{
		{"LC_ALL=C sudo -n true", "LC_ALL=C sudo -n true: exit status 1", 100},
		{script, "sh -c 'set -u ... (", 160},
		{strings.Repeat("é", 200), strings.Repeat("é", 50) + " ... (300 more bytes)", 220},
	} {
		e := &Error{Address: "192.0.2.1:22", Stage: StageCommand, Kind: ErrCommandFailed, Command: tc.cmd, ExitStatus: 1}
		got := e.Error()
		if !strings.Contains(got, tc.want) || len(got) > tc.max {
			t.Errorf("%.40q...: error %q, want it to hold %q in at most %d bytes", tc.cmd, got, tc.want, tc.max)
		}
	}
}
