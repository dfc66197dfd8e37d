package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/internal/testenv"
)

// onGuestPAM puts the lab's fault hook into the guest's own PAM (its copy
// of /etc): in sshd's auth stack ("sshd", keyed by the password's
// SHA-256) and chpasswd's password stack ("chpasswd", counted), for the
// enrolled user only.
func (l *enrollLab) onGuestPAM(t *testing.T) {
	t.Helper()
	found := false
	for _, dir := range []string{"/usr/lib/x86_64-linux-gnu/security", "/lib/x86_64-linux-gnu/security", "/usr/lib64/security", "/lib/security"} {
		if _, err := os.Stat(filepath.Join(dir, "pam_exec.so")); err == nil {
			found = true
		}
	}
	testenv.Need(t, found, "pam_exec", "apt-get install --no-install-recommends libpam-modules")
	for _, s := range []struct{ file, phase, kind string }{
		{"etc/pam.d/sshd", "auth", "sshd"},
		{"etc/pam.d/chpasswd", "password", "chpasswd"},
	} {
		rule := fmt.Sprintf("%s [success=1 default=ignore] pam_succeed_if.so quiet user notin %s\n%s requisite pam_exec.so quiet expose_authtok %s %s\n",
			s.phase, enrollUser, s.phase, l.hook.script, s.kind)
		editPAM(t, filepath.Join(l.guestDir, s.file), rule, false)
	}
}

// onHostSSH makes the system ssh client call the hook at every connection
// to host: 1 the lock, 2 the guest's key, 3 the write, 4 the read-back,
// 5 the release.
func (l *enrollLab) onHostSSH(t *testing.T, host string) {
	t.Helper()
	f, err := os.OpenFile(l.sshConfig, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "Match originalhost %s exec \"%s ssh-%s\"\n", host, l.hook.script, host)
}

// visudo refuses the rule (a command with a lone ^): nothing is put in
// place, the user this run made is removed again, no host changes, and
// the guest's sudoers stays valid.
func TestEnrollVisudoRefusesTheRule(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	l := newEnrollLab(t, 1)
	r := runCLI(t, enrollPW+"\n", l.args("--sudo-commands", "/bin/ls ^")...)
	if r.code != exitConfig || !strings.Contains(r.stdout, "failed    sudoers") || !strings.Contains(r.stderr, "visudo refused the rule") || !strings.Contains(r.stderr, "nothing was put in place") ||
		!strings.Contains(r.stdout, "undone    user       userdel -r "+enrollUser) {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	l.notEnrolled(t, "visudo refused")
	if left, _ := filepath.Glob(l.guestFile("/etc/sudoers.d/.sfkvm.*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// useradd fails (a group of the user's name exists, useradd's own
// refusal): nothing changes anywhere.
func TestEnrollUseraddFails(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	l := newEnrollLab(t, 1)
	if out, err := l.inGuest(t, "groupadd", enrollUser); err != nil {
		t.Fatalf("groupadd in the guest: %v %s", err, out)
	}
	r := runCLI(t, enrollPW+"\n", l.args()...)
	if r.code != exitFailed || !strings.Contains(r.stdout, "failed    user") || !strings.Contains(r.stdout, "useradd -m "+enrollUser+": exit") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	l.notEnrolled(t, "useradd failed")
}

// The refusals before anything changes: a key nobody confirmed, a line
// with the guest's address already, a drop-in with another rule.
func TestEnrollRefusesBeforeAnyChange(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	l := newEnrollLab(t, 1)
	args := l.args()
	for i, a := range args {
		if a == "--guest-key-fingerprint" {
			args[i+1] = "SHA256:not-the-guests-key"
		}
	}
	r := runCLI(t, enrollPW+"\n", args...)
	if r.code != exitFailed || !strings.Contains(r.stderr, "the guest's host key is not known and was not confirmed: the guest offers ssh-ed25519 "+l.fingerprint()) {
		t.Fatalf("a wrong fingerprint: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	l.notEnrolled(t, "wrong fingerprint")

	// The same address under another name.
	r = runCLI(t, enrollPW+"\n", append(l.args()[:len(l.args())-1], "--domain", "guest1", l.ip)...)
	if r.code != exitConfig || !strings.Contains(r.stderr, "already holds this guest in another line") {
		t.Fatalf("a duplicate name: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	l.notEnrolled(t, "duplicate")

	rule := l.guestFile("/etc/sudoers.d/sfkvm-" + enrollUser)
	os.WriteFile(rule, []byte(enrollUser+" ALL=(root) NOPASSWD: /bin/true\n"), 0o440)
	r = runCLI(t, enrollPW+"\n", l.args()...)
	if r.code != exitConfig || !strings.Contains(r.stderr, "holds another rule") || l.userExists(t) {
		t.Fatalf("another rule: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if b, _ := os.ReadFile(rule); string(b) != enrollUser+" ALL=(root) NOPASSWD: /bin/true\n" {
		t.Errorf("the other rule was changed: %q", b)
	}
}

// A host goes away after the lock and the keys, before its copy is
// written: this host and the others hold the line, the report names the
// host left behind with the command that finishes it, and that command,
// as printed, finishes it once the host is back.
func TestEnrollHostGoesAwayHalfway(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	l := newEnrollLab(t, 2)
	l.onHostSSH(t, "cfhost3")
	key := "ssh-cfhost3-3" // the write
	l.hook.pause(t, key)
	done := make(chan struct{})
	var r cliResult
	go func() {
		defer close(done)
		r = runBinIn(t, l.dir, enrollPW+"\n", l.args()...)
	}()
	l.hook.waitReached(t, key, done)
	l.hosts[1].Stop()
	l.hook.release(t, key, "ok")
	<-done
	if r.code != exitFailed || !strings.Contains(r.stderr, "MISMATCH") ||
		!strings.Contains(r.stdout, "to finish: sfkvm rotate --resume -f "+l.conf+" --key "+l.keyFile+
			" --ssh-config "+l.sshConfig+" --hosts cfhost3 --previous-sha256 ") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	this, _ := os.ReadFile(l.conf)
	h2, _ := os.ReadFile(l.hostFiles[0])
	h3, _ := os.ReadFile(l.hostFiles[1])
	if string(this) != string(h2) || string(this) == string(h3) || !strings.Contains(string(this), "guest7 ") {
		t.Fatalf("this host and cfhost2 should hold the line, cfhost3 not:\n%s\n%s\n%s", this, h2, h3)
	}
	l.hosts[1].Restart(t)
	res := runBinIn(t, t.TempDir(), "", printedResume(t, r.stdout)...)
	if res.code != exitOK {
		t.Fatalf("resume: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if gs := l.identical(t); len(gs) != 2 {
		t.Errorf("after the resume: %d guests", len(gs))
	}
	if err := l.login(t, enrollPW); err != nil {
		t.Error(err)
	}
}

// A second enrollment of the same guest while the first runs is refused
// at the lock, naming the first, before it changes anything; the first
// ends enrolled.
func TestEnrollTwiceAtOnce(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	l := newEnrollLab(t, 1)
	l.onGuestPAM(t)
	key := pwKey("sshd", enrollPW) // the first run's proof
	l.hook.pause(t, key)
	done := make(chan struct{})
	var first cliResult
	go func() {
		defer close(done)
		first = runCLI(t, enrollPW+"\n", l.args()...)
	}()
	l.hook.waitReached(t, key, done)
	second := runCLI(t, "Other-pw-22\n", l.args()...)
	if second.code != exitFailed || !strings.Contains(second.stderr, "locked by another sfkvm run: sfkvm enroll (pid") || strings.Contains(second.stdout, "done ") {
		t.Errorf("second: exit %d\n%s%s", second.code, second.stdout, second.stderr)
	}
	l.hook.release(t, key, "ok")
	<-done
	if first.code != exitOK {
		t.Fatalf("first: exit %d\n%s%s", first.code, first.stdout, first.stderr)
	}
	l.enrolled(t)
}

// SIGINT, as Ctrl-C sends it to the built CLI's process group, at each
// stage: every run ends with exit 130 and "sfkvm: interrupted"; before
// the files are written nothing of the guest stays (the user and the
// drop-in this run made are taken back) and no copy changed; from this
// host's file on, every host is written all the same and the guest is
// enrolled. The guest's sudoers is valid after each.
func TestEnrollInterruptedAtEachStage(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	l := newEnrollLab(t, 2)
	l.onGuestPAM(t)
	l.onHostSSH(t, "cfhost3")
	bin := cliBinary(t)
	for _, st := range []struct {
		name     string
		key      func() string
		finishes bool
	}{
		{"lock", func() string { return l.hook.next("ssh-cfhost3", 1) }, false},
		{"chpasswd", func() string { return l.hook.next("chpasswd", 1) }, false},
		{"proof", func() string { return pwKey("sshd", enrollPW) }, false},
		{"keys", func() string { return l.hook.next("ssh-cfhost3", 2) }, false},
		{"write", func() string { return l.hook.next("ssh-cfhost3", 3) }, true},
	} {
		key := st.key()
		code, out, errs := interruptAt(t, l.hook, key, st.name, bin, enrollPW+"\n", l.args()...)
		if code != exitInterrupted || !strings.HasSuffix(errs, interruptedMessage+"\n") {
			t.Fatalf("%s: exit %d\n%s%s", st.name, code, out, errs)
		}
		if strings.Contains(out+errs, "MISMATCH") {
			t.Errorf("%s: MISMATCH:\n%s%s", st.name, out, errs)
		}
		if st.finishes {
			l.enrolled(t)
			continue
		}
		l.notEnrolled(t, st.name)
	}
}

// A host that cannot be reached when the run starts stops it before the
// guest or any copy changes; the JSON report says which step and why.
func TestEnrollHostDownAtTheStart(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	l := newEnrollLab(t, 2)
	l.hosts[1].Stop()
	r := runCLI(t, enrollPW+"\n", l.args("--format=json")...)
	if r.code != exitFailed || !strings.Contains(r.stdout, `"name": "lock",
      "state": "failed"`) || !strings.Contains(r.stdout, `"ok": false`) || !strings.Contains(r.stderr, "cfhost3") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	l.notEnrolled(t, "a host down")
}

// Another rule for the user, later in sudoers, asks for a password: it
// is named and left as it is; the proof (sudo -n) fails, and the run takes
// back the user and the drop-in it made. No copy changes.
func TestEnrollAnotherRuleAsksForAPassword(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	l := newEnrollLab(t, 1)
	other := filepath.Join(l.guestDir, "etc/sudoers.d/zz-other")
	os.WriteFile(other, []byte(enrollUser+" ALL=(root) ALL\n"), 0o440)
	r := runCLI(t, enrollPW+"\n", l.args()...)
	if r.code != exitFailed || !strings.Contains(r.stdout, "failed    proof") ||
		!strings.Contains(r.stdout, "note: other sudoers rules name "+enrollUser+", left as they are (sudo applies the last that matches): \"/etc/sudoers.d/zz-other\"") ||
		!strings.Contains(r.stdout, "undone    user") || !strings.Contains(r.stdout, "undone    sudoers") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	os.Remove(other)
	l.notEnrolled(t, "another rule")
}
