package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/cipher/sfciphertest"
	"github.com/sfkvm/sfkvm/internal/testenv"
)

// faultHook is a shell script that the real programs of the lab call at
// one step of a run, so that a test can pause that step, then let it go
// on or fail: pam_exec in the guest's sshd login ("sshd"), keyed by the
// SHA-256 of the password it is given (expose_authtok); pam_exec in
// chpasswd ("chpasswd", where pam_exec gets no password), keyed by the
// count of calls (1 the change, 2 the putting back); and ssh_config's
// Match exec for a host ("ssh-HOST"), keyed by the count of connections
// to it (1 the precheck, 2 the write, 3 the read-back). Files in its
// folder arm it: pause-KEY makes the step wait (once) until release-KEY
// exists, then go on, or fail when that file says "fail"; it writes
// reached-KEY when it waits, and appends every KEY it sees to calls.
type faultHook struct {
	dir, script string
}

func newFaultHook(t *testing.T) *faultHook {
	t.Helper()
	h := &faultHook{dir: t.TempDir()}
	h.script = filepath.Join(h.dir, "hook")
	script := `#!/bin/sh
d=` + h.dir + ` k=$1
case $k in
sshd)
	s=$(tr -d '\000' | sha256sum); k=$k-${s%% *} ;;
*)
	n=$(cat "$d/$k.count" 2>/dev/null || echo 0); n=$((n+1)); echo $n >"$d/$k.count"; k=$k-$n ;;
esac
echo "$k" >>"$d/calls"
if [ -e "$d/pause-$k" ]; then
	rm -f "$d/pause-$k"
	: >"$d/reached-$k"
	i=0
	while [ ! -e "$d/release-$k" ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done
	[ "$(cat "$d/release-$k" 2>/dev/null)" = fail ] && exit 1
fi
exit 0
`
	if err := testenv.WriteExecutable(h.script, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Let every paused step go before the lab goes away.
		ks, _ := filepath.Glob(filepath.Join(h.dir, "reached-*"))
		for _, k := range ks {
			os.WriteFile(strings.Replace(k, "reached-", "release-", 1), []byte("fail"), 0o600)
		}
	})
	return h
}

// pwKey is the key of a PAM step that sees pw.
func pwKey(kind, pw string) string {
	s := sha256.Sum256([]byte(pw))
	return kind + "-" + hex.EncodeToString(s[:])
}

// pause makes the step wait (once) until release.
func (h *faultHook) pause(t *testing.T, key string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(h.dir, "pause-"+key), nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

// waitReached waits until the paused step is reached, or fails the test
// after a minute (or as soon as the run ended, done closed).
func (h *faultHook) waitReached(t *testing.T, key string, done <-chan struct{}) {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		if _, err := os.Stat(filepath.Join(h.dir, "reached-"+key)); err == nil {
			return
		}
		select {
		case <-done:
			t.Fatalf("the run ended before %s; calls: %s", key, h.calls())
		case <-deadline:
			t.Fatalf("%s not reached in a minute; calls: %s", key, h.calls())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// release lets the paused step go on ("ok") or fail ("fail").
func (h *faultHook) release(t *testing.T, key, how string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(h.dir, "release-"+key), []byte(how), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (h *faultHook) calls() string {
	b, _ := os.ReadFile(filepath.Join(h.dir, "calls"))
	return strings.ReplaceAll(string(b), "\n", " ")
}

// onGuest puts the hook into the guest's sshd login and chpasswd (PAM,
// /etc/pam.d/sshd and /etc/pam.d/chpasswd) for user only, until the test
// ends. In sshd it runs before the password is checked; in chpasswd
// before pam_unix sets the new password ("chpasswd-pre") and after it
// ("chpasswd": a failure there is chpasswd failing although the password
// changed).
func (h *faultHook) onGuest(t *testing.T, user string) {
	t.Helper()
	if _, err := os.Stat("/usr/lib/x86_64-linux-gnu/security/pam_exec.so"); err != nil {
		if _, err2 := os.Stat("/lib/x86_64-linux-gnu/security/pam_exec.so"); err2 != nil {
			testenv.Need(t, false, "pam_exec", "apt-get install --no-install-recommends libpam-modules")
		}
	}
	for _, s := range []struct {
		file, phase, kind string
		last              bool
	}{
		{"/etc/pam.d/sshd", "auth", "sshd", false},
		{"/etc/pam.d/chpasswd", "password", "chpasswd-pre", false},
		{"/etc/pam.d/chpasswd", "password", "chpasswd", true},
	} {
		rule := fmt.Sprintf("# sfkvm rotate test %s\n%s [success=1 default=ignore] pam_succeed_if.so quiet user notin %s\n%s requisite pam_exec.so quiet expose_authtok %s %s\n",
			user, s.phase, user, s.phase, h.script, s.kind)
		editPAM(t, s.file, rule, s.last)
	}
}

// lockPAM serialises the edits of /etc/pam.d and /etc/security/opasswd
// (read, change, write back) of tests that run in parallel, and of other
// test binaries (a lock file); it returns the unlock.
func lockPAM(t *testing.T) func() {
	t.Helper()
	pamMu.Lock()
	f, err := os.OpenFile("/run/sfkvm-pam.lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		pamMu.Unlock()
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		pamMu.Unlock()
		t.Fatal(err)
	}
	sweepPAMOnce(t)
	return func() {
		f.Close() // drops the flock
		pamMu.Unlock()
	}
}

var pamMu sync.Mutex

// editPAM puts rule first (or last) in file until the test ends.
func editPAM(t *testing.T, file, rule string, last bool) {
	t.Helper()
	unlock := lockPAM(t)
	defer unlock()
	old, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	edited := append([]byte(rule), old...)
	if last {
		edited = append(old, rule...)
	}
	if err := replaceFile(file, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	drop := ownPAMRule(t, file, rule)
	t.Cleanup(func() {
		unlock := lockPAM(t)
		defer unlock()
		cur, _ := os.ReadFile(file)
		if err := replaceFile(file, []byte(strings.Replace(string(cur), rule, "", 1)), 0o644); err != nil {
			t.Error(err)
		}
		drop()
	})
}

// replaceFile replaces file with data by a rename, never in place: the
// PAM files and opasswd that these tests edit are read at every login and
// password change of every test running at once, and a login that read
// /etc/pam.d/sshd while os.WriteFile had truncated it was refused (a
// probe test's password login failed with the right password).
func replaceFile(file string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".sfkvm-test-")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), file)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// pamRules counts the PAM rules this test binary recorded, for unique
// names in testenv's ledger.
var pamRules atomic.Int64

// ownPAMRule records rule in file in testenv's ledger, so that a later
// test binary takes it out if this one is killed before its cleanup (a
// rule left behind runs a hook of a folder that is gone at every sshd or
// chpasswd of its user). Called with the PAM lock held.
func ownPAMRule(t *testing.T, file, rule string) (drop func()) {
	t.Helper()
	drop, err := testenv.Own("pam", fmt.Sprintf("rule-%d", pamRules.Add(1)), file+"\n"+rule)
	if err != nil {
		t.Fatal(err)
	}
	return drop
}

// sweepPAMOnce takes out, once per test binary, the PAM rules that killed
// test binaries left (their ledger records). Called with the PAM lock held.
func sweepPAMOnce(t *testing.T) {
	pamSweep.Do(func() {
		err := testenv.Sweep("pam", func(_, detail string) error {
			file, rule, ok := strings.Cut(detail, "\n")
			if !ok || !strings.HasPrefix(file, "/etc/pam.d/") || !strings.HasPrefix(rule, "# sfkvm rotate test ") {
				return fmt.Errorf("not a PAM rule of these tests: %q", detail)
			}
			cur, err := os.ReadFile(file)
			if err != nil {
				return err
			}
			return replaceFile(file, []byte(strings.Replace(string(cur), rule+"\n", "", 1)), 0o644)
		})
		if err != nil {
			t.Logf("removing the PAM rules that killed test binaries left: %v", err)
		}
	})
}

var pamSweep sync.Once

// onHost makes the system ssh client call the hook at every connection
// to host (Match exec in the lab's ssh_config).
func (h *faultHook) onHost(t *testing.T, l *rotateLab, host string) {
	t.Helper()
	f, err := os.OpenFile(l.sshConfig, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "Match originalhost %s exec \"%s ssh-%s\"\n", host, h.script, host)
}

// The guest takes the new password (chpasswd succeeds: pam_unix checks
// it while the run waits) but a login with it fails (a PAM rule of the
// guest's sshd, for this user only): the old password is put back and
// proven by a login, and every file keeps the old token.
func TestRotateNewLoginFails(t *testing.T) {
	t.Parallel() // its own sshd, namespace and users (or daemon): waits for logins, not the CPU
	l := newRotateLab(t, 1, 2)
	h := newFaultHook(t)
	user := l.users[0].NoPasswd
	h.onGuest(t, user)
	key := pwKey("sshd", rotatedPW)
	h.pause(t, key)
	done := make(chan struct{})
	var r cliResult
	go func() {
		defer close(done)
		r = runCLI(t, rotatedPW+"\n", l.args("--password-stdin", "--native")...)
	}()
	h.waitReached(t, key, done)
	if !shadowHolds(t, user, rotatedPW) {
		t.Error("chpasswd did not set the new password before the new login")
	}
	h.release(t, key, "fail")
	<-done
	if r.code != exitFailed || !strings.Contains(r.stdout, "kept") || !strings.Contains(r.stdout, "new-login: ") ||
		!strings.Contains(r.stdout, "(login with the old password proven)") || strings.Contains(r.stdout+r.stderr, "MISMATCH") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var seen []string // the change, the refused login, the putting back
	for _, c := range strings.Fields(h.calls()) {
		if strings.HasPrefix(c, "chpasswd-") && !strings.HasPrefix(c, "chpasswd-pre-") || c == key {
			seen = append(seen, c)
		}
	}
	if calls := strings.Join(seen, " "); calls != "chpasswd-1 "+key+" chpasswd-2" {
		t.Errorf("the guest saw %s; want the change, the refused login, the old password put back", calls)
	}
	if !shadowHolds(t, user, l.users[0].Password) {
		t.Error("the guest's shadow does not hold the old password")
	}
	l.agree(t, 0, l.users[0].Password)
}

// shadowHolds reports whether user's password is pw, as pam_unix checks
// it (unix_chkpwd, the password on stdin).
func shadowHolds(t *testing.T, user, pw string) bool {
	t.Helper()
	chk := testenv.LookPath(t, "unix_chkpwd", "libpam-modules-bin")
	cmd := exec.Command(chk, user, "nullok")
	cmd.Stdin = strings.NewReader(pw + "\x00")
	return cmd.Run() == nil
}

// A host answers the precheck, then goes away (its sshd stops) while the
// guest is being changed, before its file is written: the run says
// MISMATCH, which host holds which file, and the command that finishes
// the job; once the host is back, --resume finishes it.
func TestRotateHostGoesAwayHalfway(t *testing.T) {
	t.Parallel() // its own sshd, namespace and users (or daemon): waits for logins, not the CPU
	l := newRotateLab(t, 1, 2)
	h := newFaultHook(t)
	h.onGuest(t, l.users[0].NoPasswd)
	key := pwKey("sshd", rotatedPW) // the login with the new password
	h.pause(t, key)
	done := make(chan struct{})
	var r cliResult
	go func() {
		defer close(done)
		r = runCLI(t, rotatedPW+"\n", l.args("--password-stdin", "--native")...)
	}()
	h.waitReached(t, key, done)
	l.hostSSHD[1].Stop()
	h.release(t, key, "ok")
	<-done
	if r.code != exitFailed || !strings.Contains(r.stderr, "MISMATCH") ||
		!strings.Contains(r.stdout, "MISMATCH: the guests' passwords and these hosts' files disagree: cfhost3 (unknown)\n") ||
		!strings.Contains(r.stdout, "to finish: sfkvm rotate --resume -f "+l.conf+" --key "+l.keyFile+
			" --ssh-config "+l.sshConfig+" --hosts cfhost3 --previous-sha256 ") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, line := range []string{"host  this host        NEW", "host  cfhost2          NEW", "host  cfhost3          UNKNOWN"} {
		if !strings.Contains(r.stdout, line) {
			t.Errorf("the report lacks %q:\n%s", line, r.stdout)
		}
	}
	if l.holds(t, l.conf, 0) != rotatedPW || l.holds(t, l.hostFiles[0], 0) != rotatedPW ||
		l.holds(t, l.hostFiles[1], 0) != l.users[0].Password || !l.login(t, 0, rotatedPW) {
		t.Error("this host and cfhost2 should hold the new token, cfhost3 the old one, the guest the new password")
	}
	l.hostSSHD[1].Restart(t)
	// The command as printed, split by a shell: every file it names is
	// an absolute path, so it works from any folder (a parallel test
	// cannot change the process's folder to show it; and the run's own
	// lock, which names this process, must be taken in this process).
	resume := printedResume(t, r.stdout)
	for i, a := range resume[:len(resume)-1] {
		if a == "-f" || a == "--key" || a == "--host-known-hosts" || a == "--ssh-config" || a == "--identity" {
			if !filepath.IsAbs(resume[i+1]) {
				t.Errorf("the printed command names %s %s, a relative path", a, resume[i+1])
			}
		}
	}
	res := runCLI(t, "", resume...)
	if res.code != exitOK || !strings.Contains(res.stdout, "(replaced)") {
		t.Fatalf("resume: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	l.agree(t, 0, rotatedPW)
}

// next returns the key of the n-th next call of a counted step ("chpasswd",
// "ssh-HOST").
func (h *faultHook) next(kind string, n int) string {
	b, _ := os.ReadFile(filepath.Join(h.dir, kind+".count"))
	c := 0
	fmt.Sscan(string(b), &c)
	return fmt.Sprintf("%s-%d", kind, c+n)
}

// SIGINT, sent to the process group of the built CLI as Ctrl-C sends it,
// at each stage of a run: every run ends with exit 130 and "sfkvm:
// interrupted", and the guest's login works with the password that every
// host's file holds: the old one before this host's file is replaced (the
// guest rolled back), the new one after (the other hosts' writes and the
// read-back are finished, even after the grace period). The ssh clients
// that sfkvm runs are in a process group of their own, so the terminal's
// signal does not kill them in the middle of a write (it did, and left
// hosts behind). The stages are paused where the real programs run them:
// the host's ssh (Match exec), the vendor's sfcipher (the fake's Hang
// mode: it prompts and never answers), the guest's sshd login and chpasswd
// (pam_exec). Last, SIGINT to sfkvm alone (kill -INT) while it writes the
// other hosts: the same.
func TestRotateInterruptedAtEachStage(t *testing.T) {
	t.Parallel() // its own sshd, namespace and users (or daemon): waits for logins, not the CPU
	type stage struct {
		name     string
		key      func(h *faultHook, cur, next string) string
		changed  bool // the guest has the new password at the pause
		finishes bool // past the point of no return: every host is written
		pidOnly  bool // kill -INT sfkvm alone
		waits    bool // the run waits for the paused step: let it go after the grace period
	}
	// Three groups, each a lab of its own, run at once: one after the
	// other, the nine stages were this package's longest test (130 s idle,
	// 260 s at a load of 20). In a group, each stage starts from the
	// password that the one before left.
	groups := []struct {
		name   string
		stages []stage
	}{
		{"before the guest changes", []stage{
			{"precheck", func(h *faultHook, _, _ string) string { return h.next("ssh-cfhost3", 1) }, false, false, false, false},
			{"token", nil, false, false, false, false},
			{"login", func(_ *faultHook, cur, _ string) string { return pwKey("sshd", cur) }, false, false, false, false},
		}},
		{"the guest changes", []stage{
			// chpasswd is let finish, then undone: left running, it could
			// set the new password after the old one was put back.
			{"change, before the password is set", func(h *faultHook, _, _ string) string { return h.next("chpasswd-pre", 1) }, false, false, false, true},
			{"change, after the password is set", func(h *faultHook, _, _ string) string { return h.next("chpasswd", 1) }, true, false, false, true},
			{"new-login", func(_ *faultHook, _, next string) string { return pwKey("sshd", next) }, true, false, false, false},
		}},
		{"the hosts are written", []stage{
			{"hosts", func(h *faultHook, _, _ string) string { return h.next("ssh-cfhost3", 2) }, true, true, false, true},
			{"read-back", func(h *faultHook, _, _ string) string { return h.next("ssh-cfhost3", 3) }, true, true, false, true},
			{"hosts, SIGINT to sfkvm alone", func(h *faultHook, _, _ string) string { return h.next("ssh-cfhost3", 2) }, true, true, true, true},
		}},
	}
	bin := cliBinary(t)
	hang := sfciphertest.InstallTrusted(t, sfciphertest.Hang, "TestCipherSfcipherHelper")
	for gi, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			l := newRotateLab(t, 1, 2)
			h := newFaultHook(t)
			h.onGuest(t, l.users[0].NoPasswd)
			h.onHost(t, l, "cfhost3")
			cur := l.users[0].Password
			for si, st := range g.stages {
				next := fmt.Sprintf("Rotated-%d-real", 3*gi+si+5)
				args := l.args("--password-stdin", "--native")
				key := ""
				if st.key != nil {
					key = st.key(h, cur, next)
					h.pause(t, key)
				} else {
					args = l.args("--password-stdin", "--sfcipher", hang)
				}
				cmd := exec.Command(bin, args...)
				cmd.Stdin = strings.NewReader(next + "\n")
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
				start := time.Now()
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				done := make(chan struct{})
				go func() { cmd.Wait(); close(done) }() // cmd.ProcessState holds the code
				if key != "" {
					h.waitReached(t, key, done)
				} else {
					// The fake's script execs the test binary in its helper.
					if !waitChild(t, cmd.Process.Pid, "TestCipherSfcipherHelper", done) {
						<-done
						t.Fatalf("%s: the run ended before it ran %s: exit %d\n%s%s", st.name, hang, cmd.ProcessState.ExitCode(), stdout.String(), stderr.String())
					}
				}
				paused := time.Since(start)
				if shadowHolds(t, l.users[0].NoPasswd, next) != st.changed {
					t.Errorf("%s: at the pause, the guest's password is new: %v, want %v", st.name, !st.changed, st.changed)
				}
				if st.pidOnly {
					cmd.Process.Signal(syscall.SIGINT)
				} else {
					syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
				}
				if st.waits {
					select {
					case <-done:
						t.Fatalf("%s: sfkvm ended before the paused step did:\n%s%s", st.name, stdout.String(), stderr.String())
					case <-time.After(signalGrace + time.Second):
					}
					h.release(t, key, "ok")
				}
				select {
				case <-done:
				case <-time.After(30 * time.Second):
					t.Errorf("%s: the run still waits for the paused step 30s after SIGINT", st.name)
					h.release(t, key, "ok")
					<-done
				}
				if key != "" {
					h.release(t, key, "ok") // the paused program (sshd, chpasswd) ends only now
				}
				code := cmd.ProcessState.ExitCode()
				t.Logf("%s: paused after %v, ended %v after the signal", st.name, paused.Round(time.Millisecond), (time.Since(start) - paused).Round(time.Millisecond))
				out, errs := stdout.String(), stderr.String()
				if code != exitInterrupted || !strings.HasSuffix(errs, interruptedMessage+"\n") {
					t.Fatalf("%s: exit %d\n%s%s", st.name, code, out, errs)
				}
				if strings.Contains(out+errs, "MISMATCH") || (st.finishes && strings.Count(out, "(replaced)") != 3) {
					t.Errorf("%s: MISMATCH, or not every host replaced:\n%s%s", st.name, out, errs)
				}
				if st.finishes { // every file holds the new token
					l.agree(t, 0, next)
					cur = next
					continue
				}
				l.agree(t, 0, cur)
				if l.login(t, 0, next) {
					t.Errorf("%s: the guest takes the new password", st.name)
				}
			}
		})
	}
}

// waitChild waits until the process pid has a child whose command line
// holds name, or fails the test after a minute; false when done is closed
// first.
func waitChild(t *testing.T, pid int, name string, done <-chan struct{}) bool {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		stats, _ := filepath.Glob("/proc/[0-9]*/stat")
		for _, st := range stats {
			b, _ := os.ReadFile(st)
			// pid (comm) state ppid ...
			_, rest, _ := strings.Cut(string(b), ") ")
			f := strings.Fields(rest)
			if len(f) > 1 && f[1] == fmt.Sprint(pid) {
				cl, _ := os.ReadFile(filepath.Join(filepath.Dir(st), "cmdline"))
				if bytes.Contains(cl, []byte(name)) {
					return true
				}
			}
		}
		select {
		case <-done:
			return false
		case <-deadline:
			t.Fatalf("%s not run in a minute", name)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
