package rotate

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/conflock"
	"github.com/sfkvm/sfkvm/sshcheck"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// Two runs at once: the second is refused before it changes anything,
// naming the first; the first finishes; no token is lost.
func TestConcurrentRunRefused(t *testing.T) {
	l := newLab(t, 2, 2)
	inside := make(chan struct{})
	release := make(chan struct{})
	l.guests[0].onChange = func(n int) {
		if n == 1 {
			close(inside)
			<-release
		}
	}
	first := make(chan Report, 1)
	go func() {
		p := l.plan(newPW)
		p.Guests = []string{"guest01"}
		first <- Run(ctxT(t), p)
	}()
	<-inside
	p := l.plan(newPW)
	p.Guests = []string{"guest02"}
	second := Run(ctxT(t), p)
	close(release)
	if !errors.Is(second.Err, ErrLocked) || !strings.Contains(second.Err.Error(), "sfkvm rotate (pid") || l.guests[1].changes != 0 {
		t.Fatalf("the second run was not refused:\n%s", text(second))
	}
	rep := <-first
	if rep.Failed() {
		t.Fatalf("the first run:\n%s", text(rep))
	}
	l.consistent(rep)
	if l.tokenFor(l.file, l.guests[0]) != newPW {
		t.Error("guest01's new token is lost")
	}
	// Nothing is left locked: a third run goes through.
	p = l.plan("Another-Passw0rd")
	p.Guests = []string{"guest02"}
	if rep := Run(ctxT(t), p); rep.Failed() {
		t.Fatalf("after both:\n%s", text(rep))
	}
	l.consistent(Report{})
}

// A write replaces a copy only if it is still the file the run read: an
// edit of this host's file during the run puts every guest back; one of
// another host's copy leaves that copy as edited, named.
func TestWriteIsCompareAndSwap(t *testing.T) {
	t.Run("this host", func(t *testing.T) {
		l := newLab(t, 2, 1)
		beforeLocalWrite = func() { appendLine(t, l.file) }
		t.Cleanup(func() { beforeLocalWrite = func() {} })
		rep := Run(ctxT(t), l.plan(newPW))
		for i, g := range rep.Guests {
			if g.State != Kept || g.Proven != "old password" || !errors.Is(g.Err, conflock.ErrChanged) || l.guests[i].password() == newPW {
				t.Errorf("%+v", g)
			}
		}
		if b, _ := os.ReadFile(l.file); !strings.HasSuffix(string(b), "# edited meanwhile\n") {
			t.Error("the edit was overwritten")
		}
	})
	t.Run("another host", func(t *testing.T) {
		l := newLab(t, 2, 2)
		beforeLocalWrite = func() { appendLine(t, l.hosts[1].File) }
		t.Cleanup(func() { beforeLocalWrite = func() {} })
		rep := Run(ctxT(t), l.plan(newPW))
		h := rep.Hosts[2]
		if h.Holds != "other" || !errors.Is(h.Err, conflock.ErrChanged) || !rep.Mismatch() || rep.Resume == "" {
			t.Fatalf("%+v\n%s", h, text(rep))
		}
		if b, _ := os.ReadFile(l.hosts[1].File); !strings.HasSuffix(string(b), "# edited meanwhile\n") {
			t.Error("the edit was overwritten")
		}
		// --resume refuses that copy, showing the difference.
		p := l.plan(newPW)
		p.Previous = rep.OldHash
		rep = Retry(ctxT(t), p)
		if h := rep.Hosts[2]; !errors.Is(h.Err, ErrNotPrevious) || h.Wrote || !strings.Contains(h.Diff, "+# edited meanwhile") {
			t.Fatalf("resume over an edited copy: %+v\n%s", h, text(rep))
		}
	})
}

func appendLine(t *testing.T, file string) {
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("# edited meanwhile\n")
	f.Close()
}

// --resume parses and checks this host's file first: garbage or an empty
// file is never copied anywhere.
func TestResumeRefusesABadFile(t *testing.T) {
	for name, data := range map[string]string{"garbage": "\x00\x01 not a kvmguests.conf\n", "empty": ""} {
		t.Run(name, func(t *testing.T) {
			l := newLab(t, 1, 2)
			before, _ := os.ReadFile(l.hosts[0].File)
			os.WriteFile(l.file, []byte(data), 0o600)
			rep := Retry(ctxT(t), l.plan(newPW))
			if rep.Err == nil || len(rep.Hosts) != 0 {
				t.Fatalf("resume copied a bad file:\n%s", text(rep))
			}
			if name == "empty" && !errors.Is(rep.Err, ErrNoGuests) {
				t.Errorf("err = %v", rep.Err)
			}
			for _, h := range l.hosts {
				if b, _ := os.ReadFile(h.File); string(b) != string(before) {
					t.Errorf("%s was replaced", h.Name)
				}
			}
			l.leftovers(nil)
		})
	}
}

// Without --previous-sha256, a copy that differs in tokens only is
// replaced, and one that differs otherwise is refused with the diff.
func TestResumeTokensOnly(t *testing.T) {
	l := newLab(t, 2, 2)
	p := l.plan(newPW)
	p.Hosts = l.hosts[:0] // rotate this host's file only
	if rep := Run(ctxT(t), p); rep.Failed() {
		t.Fatal(text(rep))
	}
	appendLine(t, l.hosts[1].File)
	rep := Retry(ctxT(t), l.plan(newPW))
	if h := rep.Hosts[1]; !h.Wrote || h.Holds != "new" {
		t.Errorf("a copy with old tokens: %+v", h)
	}
	if h := rep.Hosts[2]; h.Wrote || !errors.Is(h.Err, ErrNotPrevious) || !strings.Contains(h.Diff, "+# edited meanwhile") {
		t.Errorf("an edited copy: %+v", h)
	}
	if !strings.Contains(rep.Resume, "cfhost3") || strings.Contains(rep.Resume, LocalHost) {
		t.Errorf("resume: %q", rep.Resume)
	}
}

// The check before proves what the write needs: a host whose folder is a
// symbolic link (or writable by others) is refused before any guest
// changes, with the cause.
func TestHostFolderCheckedBefore(t *testing.T) {
	for name, edit := range map[string]func(dir string){
		"symlink": func(dir string) {
			real := dir + ".real"
			os.Rename(dir, real)
			os.Symlink(real, dir)
		},
		"mode 0757": func(dir string) { os.Chmod(dir, 0o757) },
	} {
		t.Run(name, func(t *testing.T) {
			l := newLab(t, 1, 2)
			edit(filepath.Dir(l.hosts[1].File))
			rep := Run(ctxT(t), l.plan(newPW))
			if !errors.Is(rep.Err, ErrHostNotReady) || l.guests[0].changes != 0 || !strings.Contains(rep.Err.Error(), "cfhost3") {
				t.Fatalf("%v\n%s", rep.Err, text(rep))
			}
		})
	}
}

// Run refuses, before anything changes, a new password outside the
// policy and a guest that the file does not hold.
func TestRunRefusesBadPlans(t *testing.T) {
	l := newLab(t, 1, 1)
	p := l.plan("has>angle")
	var pe *cipher.PolicyError
	if rep := Run(ctxT(t), p); !errors.As(rep.Err, &pe) || l.guests[0].changes != 0 {
		t.Errorf("policy: %v", rep.Err)
	}
	p = l.plan(newPW)
	p.Guests = []string{"guest01", "nosuch"}
	if rep := Run(ctxT(t), p); !errors.Is(rep.Err, ErrUnknownGuest) || l.guests[0].changes != 0 {
		t.Errorf("unknown guest: %v", rep.Err)
	}
	l.consistent(Report{})
}

// A guest whose chpasswd copies its input to stderr: the new password
// (and USER:PASSWORD) appear nowhere in the report, text or JSON.
func TestEchoedPasswordRemoved(t *testing.T) {
	l := newLab(t, 2, 1)
	for _, g := range l.guests {
		g.refuse, g.echo = true, true
	}
	rep := Run(ctxT(t), l.plan(newPW))
	var js strings.Builder
	enc := json.NewEncoder(&js) // as the CLI's writeJSON
	enc.SetEscapeHTML(false)
	enc.Encode(rep)
	if strings.Contains(js.String(), `\u003c`) {
		t.Errorf("the JSON escapes < as HTML: %s", js.String())
	}
	for _, out := range []string{text(rep), js.String()} {
		if strings.Contains(out, newPW) || !strings.Contains(out, Redacted) {
			t.Fatalf("the password leaks (or the test did not make chpasswd echo it):\n%s", out)
		}
	}
	if !errors.Is(rep.Guests[0].Err, ErrChpasswd) {
		t.Errorf("the scrubbed error lost its kind: %v", rep.Guests[0].Err)
	}
}

// The old password put back is proven by a login with it: a guest that
// says it took it and did not is a MISMATCH, never "kept".
func TestRestoreProvenByLogin(t *testing.T) {
	l := newLab(t, 1, 0)
	l.guests[0].badLogin, l.guests[0].fakeBack = newPW, true
	rep := Run(ctxT(t), l.plan(newPW))
	if g := rep.Guests[0]; g.State != Mismatch {
		t.Fatalf("%+v\n%s", g, text(rep))
	}
}

// chpasswd runs to its end after an interrupt, on the clean-up context:
// cut off, it could set the new password after the old one was put back.
func TestChpasswdFinishesAfterInterrupt(t *testing.T) {
	l := newLab(t, 1, 0)
	ctx, cancel := context.WithCancel(ctxT(t))
	slow := make(chan struct{})
	l.guests[0].slow = slow
	l.guests[0].onLogin = func(string) {}
	go func() {
		time.Sleep(300 * time.Millisecond) // chpasswd under way
		cancel()
		close(slow)
	}()
	rep := Run(ctx, l.plan(newPW))
	time.Sleep(500 * time.Millisecond) // a chpasswd cut off would land now
	if g := rep.Guests[0]; g.State != Kept || g.Proven != "old password" {
		t.Fatalf("%+v", g)
	}
	l.consistent(rep)
}

// The read-back of another host compares what arrived with what was
// sent: a host that answers another hash is a failed write.
func TestWriteHostComparesReadBack(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "kvmguests.conf")
	os.WriteFile(f, []byte("# old\n"), 0o600)
	o := lockFor(t, f)
	err := writeHost(ctxT(t), lyingRunner{}, f, []byte("# new\n"), o.Run, hashOf([]byte("# old\n")))
	if !errors.Is(err, ErrWriteFailed) || !strings.Contains(err.Error(), "read back") {
		t.Fatalf("err = %v", err)
	}
}

// lyingRunner runs the command and answers another hash.
type lyingRunner struct{ localRunner }

func (r lyingRunner) RunInput(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, []byte, int, error) {
	_, e, s, err := r.localRunner.RunInput(ctx, stdin, name, args...)
	return []byte(strings.Repeat("0", 64) + "\n"), e, s, err
}

// A host reached with sfkvm's own client: its commands are bounded by the
// run's deadlines, not the Prober's CommandTimeout (a busy host's slow
// read-back is not a MISMATCH); a host whose key is unknown is named as
// such, not as a copy that differs.
func TestHostOverSSH(t *testing.T) {
	l := newLab(t, 1, 0)
	dir := t.TempDir()
	hostFile := filepath.Join(dir, "kvmguests.conf")
	data, _ := os.ReadFile(l.file)
	os.WriteFile(hostFile, data, 0o600)
	srv, err := sshtest.Start(sshtest.Config{
		Users: map[string]sshtest.User{"root": {Password: "hostpw"}},
		Handler: func(c sshtest.Command) sshtest.Reply {
			time.Sleep(400 * time.Millisecond) // a busy host
			cmd := exec.Command(c.Args[0], c.Args[1:]...)
			cmd.Stdin = c.Stdin
			var o, e strings.Builder
			cmd.Stdout, cmd.Stderr = &o, &e
			err := cmd.Run()
			status := 0
			if ee, ok := err.(*exec.ExitError); ok {
				status = ee.ExitCode()
			}
			return sshtest.Reply{Stdout: o.String(), Stderr: e.String(), ExitStatus: status}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	kh := filepath.Join(dir, "known_hosts")
	for _, known := range []bool{false, true} {
		lines := ""
		if known {
			lines = srv.KnownHostsLine("192.0.2.200:22") + "\n"
		}
		os.WriteFile(kh, []byte(lines), 0o600)
		hp, err := sshcheck.New(sshcheck.Options{KnownHostsFiles: []string{kh}, GlobalKnownHostsFiles: []string{},
			DialContext: sshtest.Routes{"192.0.2.200:22": srv.Addr()}.DialContext, CommandTimeout: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		p := l.plan(newPW)
		p.Hosts = []Host{{Name: "cfhost2", File: hostFile}}
		p.Connect = SSHConnector(hp, []sshcheck.Target{{Name: "cfhost2", Address: "192.0.2.200", User: "root", Password: cipher.SecretFromString("hostpw")}})
		rep := Run(ctxT(t), p)
		if !known {
			if !errors.Is(rep.Err, ErrHostNotReached) || errors.Is(rep.Err, ErrCopiesDiffer) || !strings.Contains(rep.Err.Error(), "host key is not known") {
				t.Fatalf("an unknown host key: %v", rep.Err)
			}
			continue
		}
		if rep.Failed() || rep.Hosts[1].Holds != "new" {
			t.Fatalf("a busy host (each command 400 ms, the Prober's CommandTimeout 100 ms):\n%s", text(rep))
		}
	}
}

// A copy written and then not read back is "not confirmed", never a copy
// that differs: the write itself checked what arrived.
func TestNotConfirmedIsNotDiffers(t *testing.T) {
	l := newLab(t, 1, 1)
	var n atomic.Int32
	l.connect = func(name string) error {
		if n.Add(1) == 3 { // the lock, the write, then the read-back
			return errors.New("connection timed out")
		}
		return nil
	}
	rep := Run(ctxT(t), l.plan(newPW))
	h := rep.Hosts[1]
	out := text(rep)
	if !h.Wrote || h.Holds != "unknown" || !strings.Contains(out, "NOT CONFIRMED") ||
		!strings.Contains(out, "cfhost2 (not confirmed: written, then not read back)") || strings.Contains(out, "cfhost2 (unknown)") {
		t.Fatalf("%+v\n%s", h, out)
	}
	if b, _ := os.ReadFile(l.hosts[0].File); hashOf(b) != rep.NewHash {
		t.Error("the copy was not written")
	}
}
