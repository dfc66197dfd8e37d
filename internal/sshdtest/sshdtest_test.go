package sshdtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
// pam_motd line is left out of the stack it reads) and hashes new
// passwords with SHA-512 (not Debian's yescrypt), every other line is the
// machine's, and the machine's files are untouched.
func TestLabPAM(t *testing.T) {
	ns := NewNetNS(t, 1) // needs root, ip and sshd; skips (or fails under SFKVM_INTEGRATION=1) without
	before := map[string]string{}
	for _, e := range pamEdits {
		data, err := os.ReadFile("/etc/" + e.file)
		testenv.Need(t, err == nil, "/etc/"+e.file, "apt-get install --no-install-recommends openssh-server libpam-runtime")
		before[e.file] = string(data)
	}
	s := Start(t, Config{NetNS: ns.Name, ListenAddresses: ns.GuestIPs, HostKeyTypes: []string{"ed25519"}})
	for _, e := range pamEdits {
		seen, err := os.ReadFile("/proc/" + strconv.Itoa(s.Pid()) + "/root/etc/" + e.file)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := e.edit(before[e.file])
		if got := string(seen); got != want || strings.Contains(got, "motd=/run/motd.dynamic") || regexp.MustCompile(`(?m)^password.*\syescrypt`).MatchString(got) {
			t.Errorf("sshd reads /etc/%s as:\n%s\nwant the machine's without update-motd and yescrypt:\n%s", e.file, got, want)
		}
		if after, _ := os.ReadFile("/etc/" + e.file); string(after) != before[e.file] {
			t.Errorf("the machine's /etc/%s changed", e.file)
		}
	}
}

// A lab's own copy of /etc loses the update-motd line and yescrypt and
// keeps every other line; a copy without them, or without the files, is
// left as it is.
func TestLabPAMIn(t *testing.T) {
	etc := t.TempDir()
	if err := LabPAMIn(etc); err != nil {
		t.Fatalf("no pam.d: %v", err)
	}
	os.Mkdir(filepath.Join(etc, "pam.d"), 0o755)
	files := map[string][2]string{
		"sshd": {"auth required pam_unix.so\nsession optional pam_motd.so motd=/run/motd.dynamic\nsession optional pam_motd.so noupdate\n",
			"auth required pam_unix.so\nsession optional pam_motd.so noupdate\n"},
		"common-password": {"# yescrypt here is a comment\npassword\t[success=1 default=ignore]\tpam_unix.so obscure yescrypt\npassword requisite pam_deny.so\n",
			"# yescrypt here is a comment\npassword [success=1 default=ignore] pam_unix.so obscure sha512\npassword requisite pam_deny.so\n"},
	}
	for name, c := range files {
		os.WriteFile(filepath.Join(etc, "pam.d", name), []byte(c[0]), 0o644)
	}
	for range 2 { // a second run changes nothing
		if err := LabPAMIn(etc); err != nil {
			t.Fatal(err)
		}
		for name, c := range files {
			if got, _ := os.ReadFile(filepath.Join(etc, "pam.d", name)); string(got) != c[1] {
				t.Errorf("%s after: %q, want %q", name, got, c[1])
			}
		}
	}
}
