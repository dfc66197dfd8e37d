package sshdtest

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// An sshd in a namespace of its own sees root's ~/.bashrc empty (a
// developer's, read by every root login's bash, made the labs slow), and
// the machine's own file is untouched.
func TestRootRCMasked(t *testing.T) {
	home := "/root"
	if out, err := exec.Command("getent", "passwd", "root").Output(); err == nil {
		if f := strings.Split(strings.TrimSpace(string(out)), ":"); len(f) > 5 {
			home = f[5]
		}
	}
	rc := home + "/.bashrc"
	before, rcErr := os.ReadFile(rc)
	ns := NewNetNS(t, 1)
	s := Start(t, Config{NetNS: ns.Name, ListenAddresses: ns.GuestIPs, HostKeyTypes: []string{"ed25519"}})
	seen, err := os.ReadFile("/proc/" + strconv.Itoa(s.Pid()) + "/root" + rc)
	if rcErr != nil { // no file to mask: none appears either
		if !os.IsNotExist(err) {
			t.Errorf("%s is absent here (%v) but sshd reads it: %v", rc, rcErr, err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 0 {
		t.Errorf("sshd sees %s with %d bytes, want it empty", rc, len(seen))
	}
	if after, _ := os.ReadFile(rc); string(after) != string(before) {
		t.Errorf("the machine's %s changed", rc)
	}
}
