package sshcheck

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
	"golang.org/x/sys/unix"
)

// trustAfter builds a Prober that trusts unknown keys, then lets plant
// change the known_hosts path (as another user would between two runs),
// and probes. It returns the probe's error.
func trustAfter(t *testing.T, plant func(l *lab)) (*lab, error) {
	t.Helper()
	l := newLab(t, sshtest.Config{})
	p := l.prober(t, func(o *Options) { o.HostKeyPolicy = TrustUnknown })
	plant(l)
	return l, p.Probe(ctxT(t), target("root")).Err
}

func wantUnsafe(t *testing.T, what string, err error, says string) {
	t.Helper()
	if !errors.Is(err, ErrUnsafeFile) {
		t.Fatalf("%s: %v, want ErrUnsafeFile", what, err)
	}
	if !strings.Contains(err.Error(), says) {
		t.Errorf("%s: %q does not say %q", what, err, says)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// probe --trust appended through a symbolic link and created the file where
// it pointed. The file and the folder must be the real thing.
func TestTrustRefusesSymlinks(t *testing.T) {
	t.Run("file", func(t *testing.T) {
		victim := filepath.Join(t.TempDir(), "victim")
		l, err := trustAfter(t, func(l *lab) {
			mustDo(t, os.MkdirAll(filepath.Dir(l.knownHosts), 0o700))
			mustDo(t, os.Symlink(victim, l.knownHosts))
		})
		wantUnsafe(t, "trust through a symlinked file", err, "symbolic link")
		if _, err := os.Lstat(victim); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the symlink's target was created: %v", err)
		}
		if _, err := New(Options{KnownHostsFiles: []string{l.knownHosts}, GlobalKnownHostsFiles: []string{}}); !errors.Is(err, ErrUnsafeFile) {
			t.Errorf("reading a symlinked known_hosts: %v, want ErrUnsafeFile", err)
		}
	})
	t.Run("folder", func(t *testing.T) {
		elsewhere := t.TempDir()
		l, err := trustAfter(t, func(l *lab) {
			mustDo(t, os.Symlink(elsewhere, filepath.Dir(l.knownHosts)))
		})
		wantUnsafe(t, "trust through a symlinked folder", err, "symbolic link")
		if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
			t.Errorf("a file was created in the symlink's target: %v", ents)
		}
		if _, err := New(Options{KnownHostsFiles: []string{l.knownHosts}, GlobalKnownHostsFiles: []string{}}); !errors.Is(err, ErrUnsafeFile) {
			t.Errorf("reading through a symlinked folder: %v, want ErrUnsafeFile", err)
		}
	})
}

// A folder or file that group or others can write is refused, for
// recording a key and for reading (a planted key would be trusted).
func TestKnownHostsWritableByOthersRefused(t *testing.T) {
	for _, tc := range []struct {
		name          string
		dirMode, mode os.FileMode
		says          string
	}{
		{"folder group-writable", 0o770, 0o600, "writable by group or others"},
		{"folder world-writable sticky", 0o1777, 0o600, "writable by group or others"},
		{"file group-writable", 0o700, 0o620, "mode 0620"},
		{"file world-writable", 0o700, 0o602, "mode 0602"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := trustAfter(t, func(l *lab) {
				appendLine(t, l.knownHosts, "# comment")
				mustDo(t, os.Chmod(l.knownHosts, tc.mode))
				mustDo(t, os.Chmod(filepath.Dir(l.knownHosts), tc.dirMode))
			})
			wantUnsafe(t, "trust", err, tc.says)
			if lines := readLines(t, l.knownHosts); len(lines) != 1 {
				t.Errorf("known_hosts was written: %q", lines)
			}
			_, err = New(Options{KnownHostsFiles: []string{l.knownHosts}, GlobalKnownHostsFiles: []string{}})
			wantUnsafe(t, "read", err, tc.says)
			// The global files are held to the same rules.
			_, err = New(Options{KnownHostsFiles: []string{filepath.Join(t.TempDir(), "none")}, GlobalKnownHostsFiles: []string{l.knownHosts}})
			wantUnsafe(t, "read as a global file", err, tc.says)
		})
	}
}

// A FIFO, a folder or a device in place of known_hosts is refused at once,
// never waited on.
func TestKnownHostsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	mustDo(t, unix.Mkfifo(fifo, 0o600))
	sub := filepath.Join(dir, "sub")
	mustDo(t, os.Mkdir(sub, 0o700))
	for _, f := range []string{fifo, sub} {
		done := make(chan error, 1)
		go func() {
			_, err := New(Options{KnownHostsFiles: []string{f}, GlobalKnownHostsFiles: []string{}})
			done <- err
		}()
		select {
		case err := <-done:
			wantUnsafe(t, f, err, "not a regular file")
		case <-time.After(5 * time.Second):
			t.Fatalf("New hangs on %s", f)
		}
	}
}

// A missing ~/.ssh is created 0700 and the caller's, whatever the umask;
// only its last component is created.
func TestTrustCreatesFolder0700(t *testing.T) {
	l := newLab(t, sshtest.Config{})
	p := l.prober(t, func(o *Options) { o.HostKeyPolicy = TrustUnknown })
	old := syscall.Umask(0o277) // would leave the folder r-x: the owner's bits must be restored
	defer syscall.Umask(old)
	r := p.Probe(ctxT(t), target("root"))
	syscall.Umask(old)
	if r.Err != nil || !r.Trusted {
		t.Fatalf("Probe: %v, trusted %v", r.Err, r.Trusted)
	}
	var st unix.Stat_t
	mustDo(t, unix.Lstat(filepath.Dir(l.knownHosts), &st))
	if st.Mode&0o7777 != 0o700 || st.Mode&unix.S_IFMT != unix.S_IFDIR || int(st.Uid) != os.Geteuid() {
		t.Errorf("folder mode %04o uid %d, want a 0700 folder of uid %d", st.Mode&0o7777, st.Uid, os.Geteuid())
	}

	deep := filepath.Join(t.TempDir(), "home", "nobody", ".ssh", "known_hosts")
	p = l.prober(t, func(o *Options) { o.HostKeyPolicy = TrustUnknown; o.KnownHostsFiles = []string{deep} })
	if r := p.Probe(ctxT(t), target("root")); r.Err == nil {
		t.Errorf("trust created a whole path: %s", deep)
	}
}

// A file or folder owned by another user is refused, for reading and for
// recording. Making one takes root.
func TestKnownHostsOtherOwnerRefused(t *testing.T) {
	testenv.Root(t, "chown a known_hosts to another user")
	const nobody = 65534
	for _, which := range []string{"file", "folder"} {
		t.Run(which, func(t *testing.T) {
			l, err := trustAfter(t, func(l *lab) {
				appendLine(t, l.knownHosts, "# comment")
				target := l.knownHosts
				if which == "folder" {
					target = filepath.Dir(target)
				}
				mustDo(t, os.Chown(target, nobody, nobody))
			})
			wantUnsafe(t, "trust", err, "owned by uid 65534, not by root")
			_, err = New(Options{KnownHostsFiles: []string{l.knownHosts}, GlobalKnownHostsFiles: []string{}})
			wantUnsafe(t, "read", err, "owned by uid 65534")
		})
	}
}

// Messages name the file, not the descriptor it was read through.
func TestKnownHostsErrorsNameThePath(t *testing.T) {
	file := filepath.Join(t.TempDir(), "known_hosts")
	mustDo(t, os.WriteFile(file, []byte("192.0.2.1 ssh-ed25519 not-base64!\n"), 0o600))
	_, err := New(Options{KnownHostsFiles: []string{file}, GlobalKnownHostsFiles: []string{}})
	if err == nil || !strings.Contains(err.Error(), file+": ") || !strings.Contains(err.Error(), "line 1") || strings.Contains(err.Error(), "/dev/fd") {
		t.Errorf("New: %v, want the error at %s line 1", err, file)
	}
}
