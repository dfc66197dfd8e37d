package rotate

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/sshcheck"
)

const newPW = "n3w-Rotated-pw"

func TestRotateEveryGuestAndHost(t *testing.T) {
	l := newLab(t, 4, 2)
	p := l.plan(newPW)
	p.Parallel = 2
	rep := Run(ctxT(t), p)
	if rep.Failed() || rep.Mismatch() {
		t.Fatalf("failed:\n%s", text(rep))
	}
	for i, g := range l.guests {
		if g.password() != newPW {
			t.Errorf("%s: password not changed", g.name)
		}
		r := rep.Guests[i]
		if r.State != Rotated || r.Proven != "new password" || r.NewToken == r.OldToken || !strings.HasPrefix(r.NewToken, "<token hmac:") {
			t.Errorf("%s: %+v", g.name, r)
		}
	}
	local, _ := os.ReadFile(l.file)
	for _, h := range rep.Hosts {
		if h.Holds != "new" || h.Hash != hashOf(local) || !h.Wrote {
			t.Errorf("host %s: %+v", h.Host, h)
		}
	}
	for _, f := range append([]string{l.file}, hostFiles(l.hosts)...) {
		fi, err := os.Lstat(f)
		if err != nil || fi.Mode() != 0o600 {
			t.Errorf("%s: mode %v, %v", f, fi.Mode(), err)
		}
	}
	l.consistent(rep)
	out := text(rep)
	if strings.Contains(out, newPW) || strings.Contains(out, "sfkvm1.") {
		t.Errorf("the report shows a password or a token:\n%s", out)
	}
}

func TestGuestRefusesNewPassword(t *testing.T) {
	l := newLab(t, 3, 2)
	l.guests[1].refuse = true
	rep := Run(ctxT(t), l.plan(newPW))
	g := rep.Guests[1]
	if g.State != Kept || g.Stage != "change" || !errors.Is(g.Err, ErrChpasswd) || g.Proven != "old password" {
		t.Fatalf("refusing guest: %+v\n%s", g, text(rep))
	}
	if l.guests[1].password() == newPW || l.guests[0].password() != newPW {
		t.Error("wrong passwords after the run")
	}
	if !rep.Failed() || rep.Mismatch() {
		t.Errorf("Failed %v Mismatch %v", rep.Failed(), rep.Mismatch())
	}
	l.consistent(rep)
}

// A guest whose sudo wants a password keeps its password, at the stage
// "sudo" with sudo's own kind, and nothing is tried on it after the
// refusal; a guest that sudo lets through runs one command, chpasswd,
// with no `sudo -n true` before it.
func TestSudoRefusedChangesNothing(t *testing.T) {
	l := newLab(t, 3, 1)
	l.guests[0].sudoAsks = true
	rep := Run(ctxT(t), l.plan(newPW))
	g := rep.Guests[0]
	if g.State != Kept || g.Stage != "sudo" || !errors.Is(g.Err, sshcheck.ErrSudoNeedsPassword) {
		t.Fatalf("guest whose sudo asks: %+v\n%s", g, text(rep))
	}
	if l.guests[0].password() == newPW || l.guests[2].password() != newPW {
		t.Error("wrong passwords after the run")
	}
	want := []string{"LC_ALL=C sudo -n -- chpasswd"}
	for _, i := range []int{0, 2} {
		if diff := cmp.Diff(want, l.guests[i].commands); diff != "" {
			t.Errorf("%s ran (-want +got):\n%s", l.guests[i].name, diff)
		}
	}
	if !rep.Failed() || rep.Mismatch() {
		t.Errorf("Failed %v Mismatch %v", rep.Failed(), rep.Mismatch())
	}
	l.consistent(rep)
}

// A sudo that echoes chpasswd's input in its refusal leaks neither the
// new password nor USER:PASSWORD into the report.
func TestSudoRefusalScrubbed(t *testing.T) {
	l := newLab(t, 1, 0)
	l.guests[0].sudoAsks, l.guests[0].sudoEcho = true, true
	rep := Run(ctxT(t), l.plan(newPW))
	if out := text(rep); strings.Contains(out, newPW) || !strings.Contains(out, Redacted) {
		t.Fatalf("the password leaks (or sudo did not echo it):\n%s", out)
	}
	if g := rep.Guests[0]; g.Stage != "sudo" || !errors.Is(g.Err, sshcheck.ErrSudoNeedsPassword) {
		t.Errorf("the scrubbed refusal lost its stage or kind: %+v", g)
	}
}

func TestNewLoginFailsPutsOldPasswordBack(t *testing.T) {
	l := newLab(t, 2, 1)
	l.guests[0].badLogin = newPW
	rep := Run(ctxT(t), l.plan(newPW))
	g := rep.Guests[0]
	if g.State != Kept || g.Stage != "new-login" || g.Proven != "old password" {
		t.Fatalf("%+v\n%s", g, text(rep))
	}
	if l.guests[0].password() == newPW || l.guests[0].changes != 2 {
		t.Errorf("password not put back (%d changes)", l.guests[0].changes)
	}
	l.consistent(rep)
}

func TestTokenFailureChangesNothing(t *testing.T) {
	l := newLab(t, 2, 1)
	p := l.plan(newPW)
	p.Encrypter = func(kvmguests.Guest) cipher.Encrypter { return failing{} }
	before, _ := os.ReadFile(l.file)
	rep := Run(ctxT(t), p)
	for i, g := range rep.Guests {
		if g.State != Kept || g.Stage != "token" || l.guests[i].changes != 0 {
			t.Errorf("%+v", g)
		}
	}
	after, _ := os.ReadFile(l.file)
	if string(before) != string(after) {
		t.Error("the file changed")
	}
	l.consistent(rep)
}

type failing struct{}

func (failing) Encrypt(context.Context, []byte) (string, error) {
	return "", errors.New("sfcipher: internal error")
}

func TestHostUnreachableHalfwayThenRetry(t *testing.T) {
	l := newLab(t, 2, 2)
	var n atomic.Int32
	l.connect = func(name string) error {
		if name == "cfhost3" && n.Add(1) >= 2 { // reachable for the check before, not after
			l.setDown(name, true)
		}
		return nil
	}
	rep := Run(ctxT(t), l.plan(newPW))
	// The whole command: the host with its path (it is not this host's),
	// and the file before, so that --resume writes over nothing else.
	wantResume := "sfkvm rotate --resume --hosts 'cfhost3=" + l.hosts[1].File + "' --previous-sha256 " + rep.OldHash
	if !rep.Mismatch() || rep.Resume != wantResume || rep.OldHash == "" {
		t.Fatalf("want a MISMATCH naming cfhost3, and %s:\n%s", wantResume, text(rep))
	}
	if h := rep.Hosts[2]; h.Holds != "unknown" || h.Err == nil {
		t.Errorf("cfhost3: %+v", h)
	}
	if h := rep.Hosts[1]; h.Holds != "new" {
		t.Errorf("cfhost2: %+v", h)
	}
	out := text(rep)
	for _, want := range []string{"MISMATCH", "cfhost3", "to finish: " + wantResume, rep.Guests[0].OldToken} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	l.consistent(rep)

	l.connect = nil
	l.setDown("cfhost3", false)
	p := l.plan(newPW)
	p.Previous = rep.OldHash
	rep = Retry(ctxT(t), p)
	if rep.Failed() || rep.Mismatch() || rep.Resume != "" || !rep.Hosts[2].Wrote || rep.Hosts[1].Wrote {
		t.Fatalf("retry:\n%s", text(rep))
	}
	l.consistent(rep)
	for _, g := range l.guests {
		if l.tokenFor(l.hosts[1].File, g) != newPW {
			t.Errorf("%s: cfhost3 does not hold the new token", g.name)
		}
	}
}

func TestHostDownBeforeChangesNothing(t *testing.T) {
	l := newLab(t, 2, 2)
	l.setDown("cfhost2", true)
	rep := Run(ctxT(t), l.plan(newPW))
	// Say what is wrong: not reached, not "differs".
	if !errors.Is(rep.Err, ErrHostNotReached) || errors.Is(rep.Err, ErrCopiesDiffer) || len(rep.Guests) != 0 ||
		!strings.Contains(rep.Err.Error(), "cfhost2: dial tcp cfhost2:22: connect: no route to host") {
		t.Fatalf("%v\n%s", rep.Err, text(rep))
	}
	for _, g := range l.guests {
		if g.changes != 0 {
			t.Errorf("%s changed", g.name)
		}
	}
}

func TestCopyDiffersChangesNothing(t *testing.T) {
	l := newLab(t, 1, 1)
	os.WriteFile(l.hosts[0].File, []byte("# edited apart\n"), 0o600)
	rep := Run(ctxT(t), l.plan(newPW))
	if !errors.Is(rep.Err, ErrCopiesDiffer) || l.guests[0].changes != 0 || rep.Hosts[1].Holds != "other" {
		t.Fatalf("%v\n%s", rep.Err, text(rep))
	}
}

func TestLocalWriteFailsRollsBack(t *testing.T) {
	l := newLab(t, 2, 1)
	// This host's file, not its lock, meets a full disk.
	onConfWrite(t, func() error { return syscall.ENOSPC })
	rep := Run(ctxT(t), l.plan(newPW))
	for i, g := range rep.Guests {
		if g.State != Kept || g.Stage != "file" || g.Proven != "old password" || l.guests[i].password() == newPW {
			t.Errorf("%+v", g)
		}
	}
	if rep.Mismatch() || rep.Hosts[1].Holds != "old" {
		t.Errorf("\n%s", text(rep))
	}
	l.consistent(rep)
}

// A host whose disk is full is found by the check before anything
// changes; one whose disk fills after the check keeps its old file whole,
// and the report says so.
func TestHostDiskFull(t *testing.T) {
	testenv.Root(t, "mounts a tiny tmpfs as a host's folder")
	for _, when := range []string{"before", "during"} {
		t.Run(when, func(t *testing.T) {
			l := newLab(t, 2, 2)
			dir := filepath.Dir(l.hosts[1].File)
			data, _ := os.ReadFile(l.hosts[1].File)
			if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16k,mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
				t.Fatalf("mount: %v %s", err, out)
			}
			t.Cleanup(func() { exec.Command("umount", dir).Run() })
			os.WriteFile(l.hosts[1].File, data, 0o600)
			fill := func() {
				f, _ := os.Create(filepath.Join(dir, "filler"))
				io.Copy(f, io.LimitReader(zeros{}, 1<<20)) // to ENOSPC
				f.Close()
			}
			if when == "before" {
				fill()
			} else {
				var n atomic.Int32
				l.connect = func(name string) error {
					if name == "cfhost3" && n.Add(1) == 2 { // after its check, before its write
						fill()
					}
					return nil
				}
			}
			rep := Run(ctxT(t), l.plan(newPW))
			h := rep.Hosts[2]
			switch when {
			case "before":
				if !errors.Is(rep.Err, ErrHostNotReady) || !strings.Contains(rep.Err.Error(), "would not fit") || l.guests[0].changes != 0 {
					t.Fatalf("%v\n%s", rep.Err, text(rep))
				}
			case "during":
				if h.Holds != "old" || !errors.Is(h.Err, ErrWriteFailed) || !rep.Mismatch() || !strings.Contains(rep.Resume, "cfhost3") {
					t.Fatalf("%+v\n%s", h, text(rep))
				}
			}
			got, _ := os.ReadFile(l.hosts[1].File)
			if string(got) != string(data) {
				t.Error("the full host's file is not the old one whole")
			}
			os.Remove(filepath.Join(dir, "filler"))
			l.consistent(rep)
		})
	}
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) { clear(b); return len(b), nil }

func TestDryRunChangesNothing(t *testing.T) {
	l := newLab(t, 2, 1)
	p := l.plan(newPW)
	p.DryRun = true
	before, _ := os.ReadFile(l.file)
	rep := Run(ctxT(t), p)
	if rep.Failed() {
		t.Fatalf("\n%s", text(rep))
	}
	for i, g := range rep.Guests {
		if g.State != WouldRotate || g.NewToken == "" || l.guests[i].changes != 0 {
			t.Errorf("%+v", g)
		}
	}
	after, _ := os.ReadFile(l.file)
	if string(before) != string(after) || !strings.Contains(text(rep), "dry run") {
		t.Error("dry run changed the file or does not say it is one")
	}
}

// TestInterrupted cancels the run at each stage; each ends consistent.
func TestInterrupted(t *testing.T) {
	for _, stage := range []string{"precheck", "token", "change", "new-login", "before-file", "file", "hosts"} {
		t.Run(stage, func(t *testing.T) {
			l := newLab(t, 2, 2)
			ctx, cancel := context.WithCancel(ctxT(t))
			defer cancel()
			p := l.plan(newPW)
			switch stage {
			case "precheck":
				l.connect = func(string) error { cancel(); return nil }
			case "token":
				enc := p.Encrypter
				p.Encrypter = func(g kvmguests.Guest) cipher.Encrypter { cancel(); return enc(g) }
			case "change":
				l.guests[0].onChange = func(n int) {
					if n == 1 {
						cancel()
					}
				}
			case "new-login": // the new login works, then the run ends before the file is written
				l.guests[1].onLogin = func(pw string) {
					if pw == newPW {
						cancel()
					}
				}
			case "before-file": // every guest rotated, this host's file not yet written
				beforeLocalWrite = cancel
				t.Cleanup(func() { beforeLocalWrite = func() {} })
			case "file": // while this host's file is written
				onConfWrite(t, func() error { cancel(); return nil })
			case "hosts":
				var n atomic.Int32
				l.connect = func(string) error {
					if n.Add(1) == 3 { // the first write
						cancel()
					}
					return nil
				}
			}
			rep := Run(ctx, p)
			rotated := stage == "file" || stage == "hosts" // past the point of no return: finished
			if rep.Failed() == rotated {
				t.Errorf("Failed() = %v:\n%s", rep.Failed(), text(rep))
			}
			l.consistent(rep)
			if rep.Mismatch() {
				t.Errorf("an interrupted run leaves a MISMATCH:\n%s", text(rep))
			}
			for _, g := range l.guests {
				if (g.password() == newPW) != rotated {
					t.Errorf("%s: rotated = %v, want %v", g.name, !rotated, rotated)
				}
			}
		})
	}
}

func TestGenerateAndWritePasswordFile(t *testing.T) {
	if 256%len(GenerateAlphabet) != 0 {
		t.Fatalf("an alphabet of %d characters is not drawn uniformly from bytes", len(GenerateAlphabet))
	}
	seen := map[string]bool{}
	for range 200 {
		pw, err := Generate(0)
		if err != nil || pw.Len() != DefaultGenerateLength {
			t.Fatal(err, pw.Len())
		}
		for _, c := range pw.Bytes() {
			if !strings.ContainsRune(GenerateAlphabet, rune(c)) {
				t.Fatalf("%q is not in the alphabet", c)
			}
		}
		seen[string(pw.Bytes())] = true
	}
	if len(seen) != 200 {
		t.Error("repeated passwords")
	}
	path := filepath.Join(t.TempDir(), "new.pw")
	pw := cipher.SecretFromString("x-Y.z")
	if err := WritePasswordFile(path, pw); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	got, _ := os.ReadFile(path)
	if string(got) != "x-Y.z\n" || fi.Mode() != 0o600 {
		t.Errorf("%q %v", got, fi.Mode())
	}
	if err := WritePasswordFile(path, pw); !errors.Is(err, ErrExists) {
		t.Errorf("overwrote: %v", err)
	}
}

// cutRunner passes the command only the first half of its input, as a
// connection lost halfway would.
type cutRunner struct{ localRunner }

func (c cutRunner) RunInput(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, []byte, int, error) {
	return c.localRunner.RunInput(ctx, stdin[:len(stdin)/2], name, args...)
}

// A copy cut short is never renamed into place: the host keeps its old
// file whole, and no temporary file is left.
func TestWriteHostRefusesCutCopy(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "kvmguests.conf")
	os.WriteFile(f, []byte("# old\n"), 0o600)
	o := lockFor(t, f)
	err := writeHost(ctxT(t), cutRunner{}, f, []byte("# the new file, long enough to cut\n"), o.Run, hashOf([]byte("# old\n")))
	if !errors.Is(err, ErrWriteFailed) || !strings.Contains(err.Error(), "exit 6") {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(f); string(b) != "# old\n" {
		t.Errorf("the file is now %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 { // the file and its lock
		t.Errorf("left behind: %v", ents)
	}
	// The whole copy goes through, 0600, and is read back.
	if err := writeHost(ctxT(t), localRunner{}, f, []byte("# new\n"), o.Run, hashOf([]byte("# old\n"))); err != nil {
		t.Fatal(err)
	}
	if h, err := hashHost(ctxT(t), localRunner{}, f); err != nil || h != hashOf([]byte("# new\n")) {
		t.Errorf("read back %s, %v", h, err)
	}
	// A symbolic link in place of the file is refused.
	os.Remove(f)
	os.Symlink("/etc/passwd", f)
	if err := writeHost(ctxT(t), localRunner{}, f, []byte("# new\n"), o.Run, hashOf([]byte("# old\n"))); !errors.Is(err, ErrWriteFailed) {
		t.Errorf("wrote through a symbolic link: %v", err)
	}
}

// A relative path is taken from the current folder here, and refused for
// another host (whose current folder is not ours) before anything changes.
func TestPaths(t *testing.T) {
	l := newLab(t, 1, 1)
	p := l.plan(newPW)
	p.Hosts = []Host{{Name: "cfhost2", File: "kvmguests.conf"}}
	if rep := Run(ctxT(t), p); !errors.Is(rep.Err, ErrPlan) || l.guests[0].changes != 0 {
		t.Fatalf("a relative host path: %v", rep.Err)
	}
	t.Chdir(filepath.Dir(l.file))
	p = l.plan(newPW)
	p.File = filepath.Base(l.file)
	if rep := Run(ctxT(t), p); rep.Failed() || rep.File != l.file {
		t.Fatalf("a relative -f:\n%s", text(rep))
	}
	l.consistent(Report{})
}
