package main

import (
	"bytes"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/preflight"
)

// unenrollArgs are the flags of an unenrollment in the lab.
func (l *enrollLab) unenrollArgs(more ...string) []string {
	return append([]string{"unenroll", "-f", l.conf, "--key", l.keyFile, "--known-hosts", l.known, "--ssh-config", l.sshConfig, "--hosts", l.hostsFlag,
		"--admin-identity", l.adminKey}, append(more, "guest7")...)
}

// enrollNow enrolls the lab's guest, or fails the test.
func (l *enrollLab) enrollNow(t *testing.T) {
	t.Helper()
	if r := runCLI(t, enrollPW+"\n", l.args("--no-preflight")...); r.code != exitOK {
		t.Fatalf("enroll: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// dropIn is the guest's drop-in as the guest sees it ("" when missing).
func (l *enrollLab) dropIn() string {
	b, _ := os.ReadFile(l.guestFile("/etc/sudoers.d/sfkvm-" + enrollUser))
	return string(b)
}

// A drop-in edited by hand since enroll wrote it (a rule added under
// enroll's header) is reported with what it holds and left as it is,
// never deleted unseen; the user stays (the run stopped there), the line
// is gone from every host, and the guest's sudoers stays valid.
func TestUnenrollSudoersChangedByHand(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	l := newEnrollLab(t, 1)
	l.enrollNow(t)
	edited := l.dropIn() + enrollUser + " ALL=(ALL) NOPASSWD: /usr/bin/id\n"
	if err := os.WriteFile(l.guestFile("/etc/sudoers.d/sfkvm-"+enrollUser), []byte(edited), 0o440); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", l.unenrollArgs("--remove-user")...)
	if r.code != exitConfig || !strings.Contains(r.stdout, "failed    sudoers") ||
		!strings.Contains(r.stderr, "/etc/sudoers.d/sfkvm-"+enrollUser+" was changed since sfkvm enroll wrote it, and is left as it is") ||
		!strings.Contains(r.stderr, "/usr/bin/id") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if l.dropIn() != edited {
		t.Errorf("the edited drop-in was changed: %q", l.dropIn())
	}
	if !l.userExists(t) {
		t.Error("the user was removed after the drop-in was refused")
	}
	if gs := l.identical(t); len(gs) != 1 {
		t.Errorf("%d guests left in the file, want 1", len(gs))
	}
	if out, err := l.inGuest(t, "visudo", "-c"); err != nil {
		t.Errorf("the guest's sudoers is not valid: %v %s", err, out)
	}
}

// A guest whose guest_user is root: --remove-user never removes root,
// and says so; the line goes.
func TestUnenrollNeverRemovesRoot(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	l := newEnrollLab(t, 1)
	// The line of a root guest, on every host.
	g := kvmguests.Guest{Name: "guest7", HostCFName: "cfhost2", ClusterName: "cluster7", CFName: "cfguest7", IP: netip.MustParseAddr(l.ip), User: "root"}
	tok, err := l.key.Seal(cipher.SecretFromString("Root-pw-77"), preflight.GuestContext(g))
	if err != nil {
		t.Fatal(err)
	}
	g.Password = kvmguests.Token(tok)
	cfg, _, err := kvmguests.ReadFile(l.conf, kvmguests.Options{AllowSealed: true, SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Add(g)
	data, err := kvmguests.Marshal(cfg, l.conf, kvmguests.Options{AllowSealed: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append([]string{l.conf}, l.hostFiles...) {
		os.WriteFile(f, data, 0o600)
	}
	passwd, _ := os.ReadFile(l.guestFile("/etc/passwd"))
	r := runCLI(t, "", l.unenrollArgs("--remove-user")...)
	if r.code != exitOK || !strings.Contains(r.stdout, "left      user       guest_user is root: never removed") || strings.Contains(r.stdout, "userdel") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if now, _ := os.ReadFile(l.guestFile("/etc/passwd")); !bytes.Equal(now, passwd) || !bytes.Contains(now, []byte("root:x:0:0:")) {
		t.Error("the guest's /etc/passwd changed")
	}
	if gs := l.identical(t); len(gs) != 1 {
		t.Errorf("%d guests left in the file, want 1", len(gs))
	}
}

// A host goes away after the lock, before its copy is written: this host
// and the others are without the line, the report names the host left
// behind with the command that finishes it (and what the guest keeps
// until then); the command, as printed, finishes it once the host is
// back, and the guest's drop-in is still valid and named.
func TestUnenrollHostGoesAwayHalfway(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	l := newEnrollLab(t, 2)
	l.enrollNow(t)
	l.onHostSSH(t, "cfhost3")
	key := l.hook.next("ssh-cfhost3", 2) // 1 the lock, 2 the write
	l.hook.pause(t, key)
	done := make(chan struct{})
	var r cliResult
	go func() {
		defer close(done)
		r = runBinIn(t, l.dir, "", l.unenrollArgs("--remove-user")...)
	}()
	l.hook.waitReached(t, key, done)
	l.hosts[1].Stop()
	l.hook.release(t, key, "ok")
	<-done
	if r.code != exitFailed || !strings.Contains(r.stderr, "MISMATCH") || !strings.Contains(r.stdout, "to finish: sfkvm rotate --resume -f "+l.conf) ||
		!strings.Contains(r.stdout, "note: once every host is without the line, the guest keeps /etc/sudoers.d/sfkvm-"+enrollUser+" and the user "+enrollUser+
			" (remove them there: rm -f -- /etc/sudoers.d/sfkvm-"+enrollUser+"; userdel -r "+enrollUser+"; the guest is "+l.ip+")") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	this, _ := os.ReadFile(l.conf)
	h2, _ := os.ReadFile(l.hostFiles[0])
	h3, _ := os.ReadFile(l.hostFiles[1])
	if string(this) != string(h2) || string(this) == string(h3) || strings.Contains(string(this), "guest7 ") {
		t.Fatalf("this host and cfhost2 should be without the line, cfhost3 not:\n%s\n%s\n%s", this, h2, h3)
	}
	l.hosts[1].Restart(t)
	if res := runBinIn(t, t.TempDir(), "", printedResume(t, r.stdout)...); res.code != exitOK {
		t.Fatalf("resume: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if gs := l.identical(t); len(gs) != 1 {
		t.Errorf("after the resume: %d guests", len(gs))
	}
	if l.dropIn() == "" {
		t.Error("the guest's drop-in went while a host still held the line")
	}
	if out, err := l.inGuest(t, "visudo", "-c"); err != nil {
		t.Errorf("the guest's sudoers is not valid: %v %s", err, out)
	}
}

// SIGINT, as Ctrl-C sends it to the built CLI's process group, at each
// stage of an unenrollment: exit 130 and "sfkvm: interrupted" every time;
// at the lock nothing changed (every host holds the line, the guest is
// enrolled); at the write every host is written all the same (none holds
// the line, no MISMATCH), and at the administrator's session on the guest
// too; then what the guest keeps is named with the commands that remove
// it. The guest's sudoers is valid after each.
func TestUnenrollInterruptedAtEachStage(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	l := newEnrollLab(t, 2)
	l.onHostSSH(t, "cfhost3")
	l.onGuestPAM(t)
	// The guest's sessions (root's too) call the hook as they open (not as they close).
	editPAM(t, l.guestDir+"/etc/pam.d/sshd", "session optional pam_exec.so quiet type=open_session "+l.hook.script+" guestsession\n", false)
	bin := cliBinary(t)
	for _, st := range []struct {
		name    string
		key     func() string
		removed bool
	}{
		{"lock", func() string { return l.hook.next("ssh-cfhost3", 1) }, false},
		{"write", func() string { return l.hook.next("ssh-cfhost3", 2) }, true},
		{"guest", func() string { return l.hook.next("guestsession", 1) }, true},
	} {
		if gs := l.identical(t); len(gs) == 1 {
			l.enrollNow(t)
		}
		key := st.key()
		code, out, errs := interruptAt(t, l.hook, key, st.name, bin, "", l.unenrollArgs("--remove-user")...)
		if code != exitInterrupted || !strings.HasSuffix(errs, interruptedMessage+"\n") || strings.Contains(out+errs, "MISMATCH") {
			t.Fatalf("%s: exit %d\n%s%s", st.name, code, out, errs)
		}
		gs := l.identical(t)
		if out, err := l.inGuest(t, "visudo", "-c"); err != nil {
			t.Errorf("%s: the guest's sudoers is not valid: %v %s", st.name, err, out)
		}
		if !st.removed {
			if len(gs) != 2 || l.dropIn() == "" || !l.userExists(t) {
				t.Errorf("%s: %d guests in the file, drop-in %q, user %v: want all as enrolled", st.name, len(gs), l.dropIn(), l.userExists(t))
			}
			continue
		}
		if len(gs) != 1 {
			t.Errorf("%s: %d guests in the file, want the line gone everywhere", st.name, len(gs))
		}
		if l.dropIn() != "" && !strings.Contains(out, "rm -f -- /etc/sudoers.d/sfkvm-"+enrollUser) {
			t.Errorf("%s: the guest keeps its drop-in, and the report does not say how to remove it:\n%s", st.name, out)
		}
	}
}
