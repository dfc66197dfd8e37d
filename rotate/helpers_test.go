package rotate

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/conflock"
	"github.com/sfkvm/sfkvm/internal/safefile"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/sshcheck"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
	"golang.org/x/crypto/ssh"
)

// fakeGuest is an in-process SSH guest whose password chpasswd changes.
type fakeGuest struct {
	name, user string
	ip         netip.Addr
	srv        *sshtest.Server

	mu       sync.Mutex
	pw       string
	refuse   bool            // chpasswd fails, as under a PAM quality rule
	echo     bool            // a refusing chpasswd copies its input to stderr
	fakeBack bool            // chpasswd says it set the password back, and does not
	slow     chan struct{}   // a chpasswd of the new password finishes only after this closes, and then 200 ms later
	badLogin string          // logins with this password fail even when it is set
	onChange func(n int)     // called after each successful chpasswd, with the count
	onLogin  func(pw string) // called after each successful login
	changes  int
	// sudoAsks makes sudo refuse every command, as without NOPASSWD;
	// sudoEcho adds the command's input to that refusal, as a hostile
	// guest's sudo might.
	sudoAsks, sudoEcho bool
	commands           []string // every command line run, in order
}

func (g *fakeGuest) password() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pw
}

func (g *fakeGuest) handle(c sshtest.Command) sshtest.Reply {
	g.mu.Lock()
	g.commands = append(g.commands, c.Line)
	asks, echo := g.sudoAsks, g.sudoEcho
	g.mu.Unlock()
	if asks && c.Sudo {
		msg := sshtest.MsgSudoPasswordRequired
		if in, _ := io.ReadAll(c.Stdin); echo {
			msg = string(in) + msg
		}
		return sshtest.Reply{Stderr: msg, ExitStatus: 1}
	}
	if len(c.Args) != 1 || c.Args[0] != "chpasswd" {
		return sshtest.Builtin(c)
	}
	if c.User != "root" && !c.Sudo {
		return sshtest.Reply{Stderr: "chpasswd: Permission denied.\n", ExitStatus: 1}
	}
	line, err := bufio.NewReader(c.Stdin).ReadString('\n')
	if err != nil {
		return sshtest.Reply{Stderr: "chpasswd: line 1: missing new password\n", ExitStatus: 1}
	}
	user, pw, ok := strings.Cut(strings.TrimSuffix(line, "\n"), ":")
	g.mu.Lock()
	if g.slow != nil && pw != g.pw {
		slow := g.slow
		g.mu.Unlock()
		<-slow
		time.Sleep(200 * time.Millisecond) // as a real chpasswd finishes after its client left
		g.mu.Lock()
	}
	if g.fakeBack && g.changes > 0 {
		g.mu.Unlock()
		return sshtest.Reply{}
	}
	if !ok || user != g.user || g.refuse && pw != g.pw {
		g.mu.Unlock()
		if g.echo {
			return sshtest.Reply{Stderr: "chpasswd: could not set " + line, ExitStatus: 1}
		}
		return sshtest.Reply{Stderr: "BAD PASSWORD: The password fails the dictionary check\nchpasswd: (user " + user + ") pam_chauthtok() failed, error:\nAuthentication token manipulation error\n", ExitStatus: 1}
	}
	g.pw = pw
	g.changes++
	n, f := g.changes, g.onChange
	g.mu.Unlock()
	if f != nil {
		f(n)
	}
	return sshtest.Reply{}
}

// lab is guests, this host's file and other hosts (folders written by a
// local sh, the real replace script).
type lab struct {
	t       *testing.T
	key     *cipher.Key
	guests  []*fakeGuest
	file    string
	hosts   []Host
	down    map[string]bool // hosts that cannot be reached
	prober  *sshcheck.Prober
	mu      sync.Mutex
	connect func(name string) error // a hook before each connection
}

func newLab(t *testing.T, nGuests, nHosts int) *lab {
	t.Helper()
	dir := t.TempDir()
	l := &lab{t: t, down: map[string]bool{}, file: filepath.Join(dir, "kvmguests.conf")}
	var err error
	if l.key, err = cipher.NewKey(); err != nil {
		t.Fatal(err)
	}
	routes := sshtest.Routes{}
	var known []string
	var cfg kvmguests.Config
	for i := range nGuests {
		g := &fakeGuest{name: fmt.Sprintf("guest%02d", i+1), user: "user1", pw: fmt.Sprintf("old-Passw0rd-%d", i+1),
			ip: netip.MustParseAddr(fmt.Sprintf("192.0.2.%d", 10+i))}
		if i%2 == 1 {
			g.user = "root"
		}
		g.srv, err = sshtest.Start(sshtest.Config{
			Users:                   map[string]sshtest.User{"user1": {Sudo: sshtest.SudoNoPassword}, "root": {}},
			KeyboardInteractiveOnly: true,
			Challenge: func(user string, ask ssh.KeyboardInteractiveChallenge, _ func(string) error) error {
				a, err := ask("", "", []string{"Password: "}, []bool{false})
				if err != nil || len(a) != 1 {
					return errors.New("no answer")
				}
				g.mu.Lock()
				ok := user == g.user && a[0] == g.pw && a[0] != g.badLogin
				f := g.onLogin
				g.mu.Unlock()
				if !ok {
					return errors.New("wrong password")
				}
				if f != nil {
					f(a[0])
				}
				return nil
			},
			Handler: g.handle,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { g.srv.Close() })
		hp := g.ip.String() + ":22"
		routes[hp] = g.srv.Addr()
		known = append(known, g.srv.KnownHostsLine(hp))
		ctxg := cipher.GuestContext{Name: g.name, IP: g.ip, User: g.user}
		tok, err := l.key.Seal(cipher.SecretFromString(g.pw), ctxg)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Add(kvmguests.Guest{Name: g.name, HostCFName: "cfhost1", ClusterName: "cluster1", CFName: "cfguest" + g.name[5:],
			IP: g.ip, User: g.user, Password: kvmguests.Token(tok)})
		l.guests = append(l.guests, g)
	}
	data, err := kvmguests.Marshal(&cfg, l.file, kvmguests.Options{AllowSealed: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(l.file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range nHosts {
		hd := filepath.Join(dir, fmt.Sprintf("cfhost%d", i+2))
		if err := os.Mkdir(hd, 0o700); err != nil {
			t.Fatal(err)
		}
		h := Host{Name: fmt.Sprintf("cfhost%d", i+2), File: filepath.Join(hd, "kvmguests.conf")}
		if err := os.WriteFile(h.File, data, 0o600); err != nil {
			t.Fatal(err)
		}
		l.hosts = append(l.hosts, h)
	}
	kh := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(kh, []byte(strings.Join(known, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	l.prober, err = sshcheck.New(sshcheck.Options{KnownHostsFiles: []string{kh}, GlobalKnownHostsFiles: []string{},
		DialContext: routes.DialContext, HandshakeTimeout: 5 * time.Second, CommandTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// plan rotates every guest to pw.
func (l *lab) plan(pw string) Plan {
	return Plan{
		File: l.file, FileOptions: kvmguests.Options{AllowSealed: true},
		NewPassword: cipher.SecretFromString(pw),
		OldPassword: func(g kvmguests.Guest) sshcheck.PasswordSource {
			return preflight.SealedPassword(l.key, g, cipher.OpenOptions{}, nil)
		},
		Encrypter:      func(g kvmguests.Guest) cipher.Encrypter { return l.key.ForGuest(preflight.GuestContext(g)) },
		Prober:         l.prober,
		Hosts:          l.hosts,
		Connect:        l.connectHost,
		CleanupTimeout: 20 * time.Second,
	}
}

func (l *lab) connectHost(_ context.Context, name string) (HostRunner, error) {
	l.mu.Lock()
	hook := l.connect
	l.mu.Unlock()
	if hook != nil {
		if err := hook(name); err != nil {
			return nil, err
		}
	}
	l.mu.Lock()
	down := l.down[name]
	l.mu.Unlock()
	if down {
		return nil, fmt.Errorf("dial tcp %s:22: connect: no route to host", name)
	}
	return localRunner{}, nil
}

func (l *lab) setDown(name string, down bool) {
	l.mu.Lock()
	l.down[name] = down
	l.mu.Unlock()
}

// localRunner runs the command here, as a host's root would.
type localRunner struct{}

func (localRunner) Close() error { return nil }
func (localRunner) RunInput(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, []byte, int, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() >= 0 {
		return o.Bytes(), e.Bytes(), ee.ExitCode(), nil
	}
	if err != nil {
		return nil, nil, -1, err
	}
	return o.Bytes(), e.Bytes(), 0, nil
}

// tokenFor returns the password that g's line in file opens to.
func (l *lab) tokenFor(file string, g *fakeGuest) string {
	l.t.Helper()
	guests, _, err := kvmguests.ReadGuests(file, kvmguests.Options{AllowSealed: true, SkipFileChecks: true})
	if err != nil {
		l.t.Fatal(err)
	}
	for _, kg := range guests {
		if kg.Name == g.name {
			s, err := l.key.Open(kg.Password.Reveal(), preflight.GuestContext(kg))
			if err != nil {
				l.t.Fatal(err)
			}
			return string(s.Bytes())
		}
	}
	l.t.Fatalf("%s: no line for %s", file, g.name)
	return ""
}

// consistent checks the invariant of every test: each guest's password
// is what every file's token opens to, unless the report says MISMATCH.
func (l *lab) consistent(rep Report) {
	l.t.Helper()
	files := []string{l.file}
	for _, h := range l.hosts {
		files = append(files, h.File)
	}
	for _, g := range l.guests {
		for _, f := range files {
			if got := l.tokenFor(f, g); got != g.password() && !rep.Mismatch() {
				l.t.Errorf("%s: the guest's password and %s disagree, and the report does not say so", g.name, f)
			}
		}
	}
	l.leftovers(rep.Notes)
}

// leftovers fails on temporary files left in any folder, and on locks
// that no note of the report names.
func (l *lab) leftovers(notes []string) {
	l.t.Helper()
	for _, f := range append([]string{l.file}, hostFiles(l.hosts)...) {
		ents, _ := os.ReadDir(filepath.Dir(f))
		for _, e := range ents {
			if e.Name() == ".kvmguests.conf.sfkvm-lock" && slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, conflock.Path(f)) }) {
				continue
			}
			if strings.HasPrefix(e.Name(), ".kvmguests.conf.") {
				l.t.Errorf("a temporary file is left: %s", filepath.Join(filepath.Dir(f), e.Name()))
			}
		}
	}
}

func hostFiles(hs []Host) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.File)
	}
	return out
}

// onConfWrite makes f run where safefile writes a kvmguests.conf (not
// its lock file), after the data and before the sync, until the test ends.
func onConfWrite(t *testing.T, f func() error) {
	safefile.AfterWrite = func(file *os.File) error {
		if strings.HasPrefix(filepath.Base(file.Name()), ".kvmguests.conf.tmp-") {
			return f()
		}
		return nil
	}
	t.Cleanup(func() { safefile.AfterWrite = func(*os.File) error { return nil } })
}

// lockFor takes the lock of file for a new run, as Run does, and releases
// it when the test ends.
func lockFor(t *testing.T, file string) conflock.Owner {
	t.Helper()
	o, err := conflock.NewOwner("test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := conflock.Acquire(ctxT(t), file, o); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conflock.Release(file, o) })
	return o
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func text(r Report) string {
	var b strings.Builder
	r.WriteText(&b)
	return b.String()
}
