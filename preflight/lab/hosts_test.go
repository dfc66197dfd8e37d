package lab_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/conflock"
	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/preflight/lab"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// preflightCall is one call of the lab's PreflightFunc.
type preflightCall struct {
	host string
	args []string
}

// hostRunner logs in to a lab host as root and runs commands there.
func hostRunner(t *testing.T, l *lab.Lab, name, ip string) func(cmd string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	p, err := sshcheck.New(l.ProberOptions(sshcheck.TrustUnknown))
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.Dial(context.Background(), sshcheck.Target{Name: name, Address: ip, User: "root", Password: cipher.NewSecret(l.Host2Password)})
	if err != nil {
		t.Fatalf("login to %s: %v", name, err)
	}
	t.Cleanup(func() { c.Close() })
	return func(cmd string, args ...string) (string, string, int) {
		stdout, stderr, status, err := c.RunLimited(context.Background(), sshcheck.Limits{}, cmd, args...)
		if err != nil {
			t.Fatalf("%s: %s %q: %v", name, cmd, args, err)
		}
		return string(stdout), string(stderr), status
	}
}

// Each lab host answers sfkvm preflight --format=json by calling the
// PreflightFunc as itself, with the arguments it was given, and relays
// what the function printed and its exit status; an argument outside
// PreflightArgs is refused (exit 2) and any other command is not found
// (127), and the function is then not called.
func TestHostsRunPreflight(t *testing.T) {
	var mu sync.Mutex
	var calls []preflightCall
	taken := func() []preflightCall { // and forgotten
		mu.Lock()
		defer mu.Unlock()
		c := calls
		calls = nil
		return c
	}
	run := func(ctx context.Context, host string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
		mu.Lock()
		calls = append(calls, preflightCall{host, args})
		mu.Unlock()
		fmt.Fprintf(stdout, `{"schema":"test","host":%q}`, host)
		fmt.Fprint(stderr, "note from "+host+"\n")
		return 1
	}
	l, err := lab.Start(context.Background(), t.TempDir(), io.Discard, lab.WithPreflight(run))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, h := range []struct{ name, ip string }{{lab.HostName, lab.HostIP}, {lab.Host2Name, lab.Host2IP}} {
		on := hostRunner(t, l, h.name, h.ip)
		taken()
		stdout, stderr, status := on(lab.SFKVM, "preflight", "--format=json", "--guest", "guest12", "--timeout=30s", "--parallel", "2")
		if want := `{"schema":"test","host":"` + h.name + `"}`; stdout != want || stderr != "note from "+h.name+"\n" || status != 1 {
			t.Errorf("%s: stdout %q, stderr %q, exit %d; want %s, its note, 1", h.name, stdout, stderr, status, want)
		}
		want := []preflightCall{{h.name, []string{"--guest", "guest12", "--timeout=30s", "--parallel", "2"}}}
		if calls := taken(); len(calls) != 1 || calls[0].host != want[0].host || !slices.Equal(calls[0].args, want[0].args) {
			t.Errorf("%s: calls %q, want %q", h.name, calls, want)
		}
		for _, tc := range []struct {
			cmd    []string
			status int
			says   string
		}{
			{[]string{lab.SFKVM, "preflight", "--format=json", "--sdtool", "/bin/sh"}, 2, `"--sdtool": not an argument the lab's hosts pass on`},
			{[]string{lab.SFKVM, "preflight", "--format=json", "--guest", "g", "--textfile=/tmp"}, 2, `"--textfile=/tmp"`},
			{[]string{lab.SFKVM, "preflight", "--format=json", "-f", "/etc/shadow"}, 2, `"-f"`},
			{[]string{lab.SFKVM, "preflight", "--format=json", "--guest", "--connect=qemu:///system"}, 2, `the value "--connect=qemu:///system"`},
			{[]string{lab.SFKVM, "preflight", "--format=json", "--guest"}, 2, "no value"},
			{[]string{lab.SFKVM, "preflight", "--format=text"}, 127, "not found"},
			{[]string{lab.SFKVM, "rotate", "--format=json"}, 127, "not found"},
			{[]string{"sfkvm", "preflight", "--format=json"}, 127, "not found"},
			{[]string{"sh", "-c", "id"}, 127, "not found"},
		} {
			stdout, stderr, status := on(tc.cmd[0], tc.cmd[1:]...)
			if status != tc.status || !strings.Contains(stderr, tc.says) || stdout != "" {
				t.Errorf("%s: %q: exit %d, stdout %q, stderr %q; want exit %d saying %q", h.name, tc.cmd, status, stdout, stderr, tc.status, tc.says)
			}
		}
		if calls := taken(); len(calls) != 0 {
			t.Errorf("%s: the PreflightFunc was called for refused commands: %q", h.name, calls)
		}
	}
}

// Without WithPreflight the hosts have no sfkvm: 127, as site expects of
// a host where it is not installed.
func TestHostsWithoutPreflight(t *testing.T) {
	l, err := lab.Start(context.Background(), t.TempDir(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	on := hostRunner(t, l, lab.Host2Name, lab.Host2IP)
	if _, stderr, status := on(lab.SFKVM, "preflight", "--format=json"); status != 127 || !strings.Contains(stderr, "not found") {
		t.Errorf("exit %d, stderr %q; want 127, not found", status, stderr)
	}
}

// Each host answers cat of the lab's files with its own copy, read when
// asked, under either host's path: the same kvmguests.conf (the other
// host's own with CopyDiffers), its own registration, the lab's
// known_hosts; any other file is missing.
func TestHostsCatTheirFiles(t *testing.T) {
	l, err := lab.Start(context.Background(), t.TempDir(), io.Discard, lab.CopyDiffers())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	conf1, conf2 := read(l.File), read(l.Host2File)
	if conf1 == conf2 || !strings.Contains(conf2, "guest22 cfhost1") {
		t.Fatalf("CopyDiffers: the other host's copy is not the differing one:\n%s", conf2)
	}
	for _, h := range []struct{ name, ip, conf, cfname string }{
		{lab.HostName, lab.HostIP, conf1, "cfhost1"}, {lab.Host2Name, lab.Host2IP, conf2, "cfhost2"},
	} {
		on := hostRunner(t, l, h.name, h.ip)
		for _, p := range []string{l.File, l.Host2File} {
			if stdout, _, status := on("cat", "--", p); stdout != h.conf || status != 0 {
				t.Errorf("%s: cat %s: exit %d, not its own copy:\n%s", h.name, p, status, stdout)
			}
		}
		for _, p := range []string{l.HostInfo, l.Host2Info} {
			if stdout, _, status := on("cat", "--", p); !strings.Contains(stdout, h.cfname) || status != 0 {
				t.Errorf("%s: cat %s: exit %d, %q, want its registration as %s", h.name, p, status, stdout, h.cfname)
			}
		}
		if stdout, _, status := on("cat", "--", l.KnownHosts); stdout != read(l.KnownHosts) || status != 0 {
			t.Errorf("%s: cat known_hosts: exit %d, %q", h.name, status, stdout)
		}
		if _, stderr, status := on("cat", "--", "/etc/shadow"); status != 1 || stderr != "cat: /etc/shadow: No such file or directory\n" {
			t.Errorf("%s: cat /etc/shadow: exit %d, %q", h.name, status, stderr)
		}
	}
}

// CheckPreflightArgs takes only the allowed flags, each with a value that
// is not another flag.
func TestCheckPreflightArgs(t *testing.T) {
	for _, ok := range [][]string{nil, {"--guest", "guest11"}, {"--guest=guest11", "--parallel=2", "--timeout", "1m", "--password-warn-days", "7"}} {
		if _, err := lab.CheckPreflightArgs(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range [][]string{{"--key", "k"}, {"--hosts=192.0.2.9"}, {"-guest", "g"}, {"guest"}, {"--guest="}, {"--parallel"}, {"--nagios"}, {"--format=json"}} {
		if _, err := lab.CheckPreflightArgs(bad); !errors.Is(err, lab.ErrPreflightArg) {
			t.Errorf("%q: %v, want ErrPreflightArg", bad, err)
		}
	}
}

// Each host answers rotate --dry-run's lock check of its copy by running
// conflock's script in check mode on its own copy: it prints that copy's
// SHA-256 and leaves nothing behind. The lock mode, another script or a
// file that is not the lab's kvmguests.conf are refused.
func TestHostsCheckTheLock(t *testing.T) {
	testenv.LookPath(t, "flock", "util-linux")
	l, err := lab.Start(context.Background(), t.TempDir(), io.Discard, lab.CopyDiffers())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	owner := []string{"run-1", "rotate", "cfhost1", "boot-1", "4242", "600"}
	for _, h := range []struct{ name, ip, conf string }{{lab.HostName, lab.HostIP, l.File}, {lab.Host2Name, lab.Host2IP, l.Host2File}} {
		on := hostRunner(t, l, h.name, h.ip)
		b, err := os.ReadFile(h.conf)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("%x\n", sha256.Sum256(b))
		before := testenv.DirState(t, filepath.Dir(h.conf))
		// Asked for this host's path, as rotate asks (without HOST=PATH).
		if stdout, stderr, status := on("sh", append([]string{"-c", conflock.AcquireScript, "sh", l.File, "check"}, owner...)...); stdout != want || status != 0 {
			t.Errorf("%s: the lock check printed %q (exit %d, %q), want its copy's SHA-256 %q", h.name, stdout, status, stderr, want)
		}
		if after := testenv.DirState(t, filepath.Dir(h.conf)); after != before {
			t.Errorf("%s: the lock check changed the folder:\n%s\nthen:\n%s", h.name, before, after)
		}
		for _, tc := range []struct {
			args   []string
			status int
		}{
			{append([]string{"-c", conflock.AcquireScript, "sh", l.File, "lock"}, owner...), 127},
			{append([]string{"-c", conflock.ReleaseScript, "sh", l.File, "check"}, owner...), 127},
			{append([]string{"-c", "id; " + conflock.AcquireScript, "sh", l.File, "check"}, owner...), 127},
			{append([]string{"-c", conflock.AcquireScript, "sh", "/etc/passwd", "check"}, owner...), conflock.ExitPath},
			{[]string{"-c", conflock.AcquireScript, "sh", l.File, "check", "run-1"}, conflock.ExitPath},
		} {
			if stdout, stderr, status := on("sh", tc.args...); status != tc.status || stdout != "" {
				t.Errorf("%s: sh %q: exit %d, %q %q; want exit %d", h.name, tc.args[len(tc.args)-len(owner)-2:], status, stdout, stderr, tc.status)
			}
		}
	}
}
