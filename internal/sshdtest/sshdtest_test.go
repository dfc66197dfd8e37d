package sshdtest

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/internal/testenv"
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

// In sshd's own namespace PAM runs no update-motd scripts (Debian's
// pam_motd line is left out of the stack it reads), every other line is
// the machine's, and the machine's file is untouched.
func TestNoUpdateMotd(t *testing.T) {
	ns := NewNetNS(t, 1) // needs root, ip and sshd; skips (or fails under SFKVM_INTEGRATION=1) without
	before, err := os.ReadFile(pamSSHD)
	testenv.Need(t, err == nil, pamSSHD, "apt-get install --no-install-recommends openssh-server")
	s := Start(t, Config{NetNS: ns.Name, ListenAddresses: ns.GuestIPs, HostKeyTypes: []string{"ed25519"}})
	seen, err := os.ReadFile("/proc/" + strconv.Itoa(s.Pid()) + "/root" + pamSSHD)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := dropUpdateMotd(string(before))
	if got := string(seen); got != want || strings.Contains(got, "motd=/run/motd.dynamic") {
		t.Errorf("sshd reads %s as:\n%s\nwant the machine's without its update-motd line:\n%s", pamSSHD, got, want)
	}
	if after, _ := os.ReadFile(pamSSHD); string(after) != string(before) {
		t.Errorf("the machine's %s changed", pamSSHD)
	}
}
