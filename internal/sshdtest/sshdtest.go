package sshdtest

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
	"golang.org/x/crypto/ssh"
)

// Config describes one sshd. The zero value is a password-login server on
// a free 127.0.0.1 port with PermitRootLogin prohibit-password, as Debian
// ships it.
type Config struct {
	// KbdInteractiveOnly turns PasswordAuthentication off and
	// KbdInteractiveAuthentication on (UsePAM yes either way).
	KbdInteractiveOnly bool
	PermitRootLogin    string   // "" means prohibit-password
	ListenAddresses    []string // "" means 127.0.0.1
	Port               int      // 0 means a free port (22 inside a namespace)
	NetNS              string   // run sshd in this network namespace (ip netns exec)
	HostKeyTypes       []string // ssh-keygen -t values; nil means ed25519, ecdsa, rsa
	Extra              []string // more sshd_config lines
	// Setup is a shell script run just before sshd, in sshd's namespaces:
	// sshd gets a mount namespace of its own (ip netns exec makes one with
	// NetNS; unshare -m without), so what Setup mounts only this sshd and
	// its sessions see, and it goes away with them. E.g. a folder mounted
	// at the same path as another host's, as on a real cluster. In that
	// namespace (with NetNS also without Setup), root's ~/.bashrc is
	// empty, as on a fresh host (maskRootRC), and PAM is RHEL's and
	// SLES's where Debian's costs more (labPAM: no update-motd scripts,
	// new passwords hashed with SHA-512).
	Setup string
}

// Server is a running sshd.
type Server struct {
	Addr     string                   // host:port of the first listen address
	Port     int                      // its port
	Dir      string                   // configuration, keys and log
	HostKeys map[string]ssh.PublicKey // by key type, e.g. "ssh-ed25519"
	log      *lockedBuffer            // sshd's stderr (-e)

	mu       sync.Mutex
	pid      int
	stop     func()       // kills sshd and waits for it; nil when stopped
	relaunch func() error // starts it again with the same keys and config
}

// Pid returns the process id of the running sshd (0 when stopped): its
// mount namespace is /proc/PID/root, nsenter -t PID -m enters it.
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pid
}

// Stop kills sshd (the host goes away: new connections are refused) and
// waits for it. Restart starts it again.
func (s *Server) Stop() {
	s.mu.Lock()
	stop := s.stop
	s.stop, s.pid = nil, 0
	s.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// Restart starts a stopped sshd again, with the same host keys,
// configuration and Setup (a fresh mount namespace: what Setup mounted
// before is gone), and waits until it listens.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	if err := s.relaunch(); err != nil {
		t.Fatal(err)
	}
}

// lockedBuffer is sshd's log, written by exec's copier while tests read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Log returns what sshd has logged so far (LogLevel VERBOSE).
func (s *Server) Log() string { return s.log.String() }

// CountLog waits up to 5 seconds for substr to appear in sshd's log (sshd
// may log a moment after the client saw the outcome), then returns how
// many times it appears.
func (s *Server) CountLog(substr string) int {
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(s.Log(), substr) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	return strings.Count(s.Log(), substr)
}

// Start starts sshd for the test and stops it when the test ends.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	testenv.Root(t, "sshd must run as root to log users in")
	sweepOnce(t)
	sshd := testenv.LookPath(t, "sshd", "openssh-server")
	keygen := testenv.LookPath(t, "ssh-keygen", "openssh-client")
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil { // sshd's privilege separation folder
		t.Fatal(err)
	}
	s := &Server{Dir: t.TempDir(), HostKeys: map[string]ssh.PublicKey{}, log: &lockedBuffer{}}
	if cfg.ListenAddresses == nil {
		cfg.ListenAddresses = []string{"127.0.0.1"}
	}
	autoPort := cfg.Port == 0 && cfg.NetNS == ""
	if cfg.Port == 0 {
		cfg.Port = 22
	}
	if cfg.PermitRootLogin == "" {
		cfg.PermitRootLogin = "prohibit-password"
	}
	if cfg.HostKeyTypes == nil {
		cfg.HostKeyTypes = []string{"ed25519", "ecdsa", "rsa"}
	}
	var conf strings.Builder
	for _, kt := range cfg.HostKeyTypes {
		key := filepath.Join(s.Dir, "ssh_host_"+kt+"_key")
		pub, err := writeHostKey(key, kt)
		if errors.Is(err, errors.ErrUnsupported) {
			if out, err := exec.Command(keygen, "-q", "-t", kt, "-N", "", "-C", "", "-f", key).CombinedOutput(); err != nil {
				t.Fatalf("ssh-keygen -t %s: %v\n%s", kt, err, out)
			}
			var pubText []byte
			if pubText, err = os.ReadFile(key + ".pub"); err == nil {
				pub, _, _, _, err = ssh.ParseAuthorizedKey(pubText)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		s.HostKeys[pub.Type()] = pub
		fmt.Fprintf(&conf, "HostKey %s\n", key)
	}
	yesNo := map[bool]string{true: "yes", false: "no"}
	fmt.Fprintf(&conf, "PasswordAuthentication %s\nKbdInteractiveAuthentication %s\n", yesNo[!cfg.KbdInteractiveOnly], yesNo[cfg.KbdInteractiveOnly])
	fmt.Fprintf(&conf, "PermitRootLogin %s\n", cfg.PermitRootLogin)
	conf.WriteString(`UsePAM yes
PidFile none
MaxStartups 1000:30:2000
MaxSessions 100
LoginGraceTime 60
StrictModes no
UseDNS no
PrintMotd no
LogLevel VERBOSE
AcceptEnv LANG LC_*
`)
	for _, l := range cfg.Extra {
		conf.WriteString(l + "\n")
	}
	// A free port can be taken by another test before sshd binds it: try
	// another one then.
	for attempt := 1; ; attempt++ {
		if autoPort {
			cfg.Port = freePort(t)
		}
		err := s.launch(t, sshd, cfg, conf.String())
		if err == nil {
			s.relaunch = func() error { return s.start(t, sshd, cfg, filepath.Join(s.Dir, "sshd_config")) }
			stop := testenv.BeforeDeadline(t, "sshd on "+s.Addr, s.Stop)
			t.Cleanup(func() {
				stop()
				if t.Failed() {
					t.Logf("sshd log (%s):\n%s", s.Addr, s.Log())
				}
			})
			return s
		}
		if !autoPort || attempt == 3 || !strings.Contains(s.Log(), "Address already in use") {
			t.Fatal(err)
		}
		s.log = &lockedBuffer{}
	}
}

// writeHostKey makes a host key of type kt (ssh-keygen -t's names: ed25519,
// ecdsa, rsa) in this process, as ssh-keygen would write it (file,
// OpenSSH's format, mode 0600; file.pub), and returns its public key:
// one process less per key (a lab's set-up is mostly processes, and
// there are hundreds of keys in a run of the suite). Another type is
// errors.ErrUnsupported: ssh-keygen makes it.
func writeHostKey(file, kt string) (ssh.PublicKey, error) {
	priv, err := sshtest.NewPrivateKey(kt) // ssh-keygen's default sizes
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return nil, err
	}
	pub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	return pub, os.WriteFile(file+".pub", ssh.MarshalAuthorizedKey(pub), 0o644)
}

// launch writes the configuration for cfg.Port, starts sshd and waits
// until it listens on every address.
func (s *Server) launch(t testing.TB, sshd string, cfg Config, common string) error {
	s.Port = cfg.Port
	s.Addr = net.JoinHostPort(cfg.ListenAddresses[0], strconv.Itoa(cfg.Port))
	var conf strings.Builder
	fmt.Fprintf(&conf, "Port %d\n", cfg.Port)
	for _, a := range cfg.ListenAddresses {
		fmt.Fprintf(&conf, "ListenAddress %s\n", a)
	}
	conf.WriteString(common)
	confFile := filepath.Join(s.Dir, "sshd_config")
	if err := os.WriteFile(confFile, []byte(conf.String()), 0o600); err != nil {
		return err
	}
	// No sshd -t first (a process per server): sshd refuses a bad
	// configuration at its start all the same, on the log that the error
	// shows, with the configuration beside it.
	if err := s.start(t, sshd, cfg, confFile); err != nil {
		return fmt.Errorf("%w\nsshd_config:\n%s", err, conf.String())
	}
	return nil
}

// maskRootRC empties root's ~/.bashrc in sshd's own mount namespace, as
// on a fresh host: root logs in to the labs' hosts, sshd runs each command
// through root's bash, and bash reads ~/.bashrc then. A developer's (this
// project's machine ran pyenv init there, some 170 processes a command)
// made every test that logs in as root slower, and only there.
const maskRootRC = `rc=$(getent passwd root | cut -d: -f6)/.bashrc
[ ! -f "$rc" ] || mount --bind /dev/null "$rc"
`

// start starts sshd with confFile and waits until it listens on every
// address.
func (s *Server) start(t testing.TB, sshd string, cfg Config, confFile string) error {
	args := append([]string{sshd, "-D", "-e", "-f", confFile}, noRexecFlag(sshd)...)
	if cfg.Setup != "" || cfg.NetNS != "" {
		pam, err := labPAM(s.Dir)
		if err != nil {
			return err
		}
		// sh execs sshd: the process id stays sshd's.
		args = append([]string{"sh", "-c", "set -e\n" + maskRootRC + pam + cfg.Setup + "\nexec \"$@\"", "sh"}, args...)
		if cfg.NetNS == "" {
			args = append([]string{testenv.LookPath(t, "unshare", "util-linux"), "-m", "--propagation", "slave"}, args...)
		}
	}
	if cfg.NetNS != "" {
		args = append([]string{testenv.LookPath(t, "ip", "iproute2"), "netns", "exec", cfg.NetNS}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	// ip netns exec, unshare and sh exec sshd: the pid stays sshd's, and
	// so does the signal it gets when the test binary dies (killed at go
	// test's -timeout, which runs no cleanup).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	log := s.log
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return err
	}
	drop := func() {}
	if st, err := testenv.StartTime(cmd.Process.Pid); err == nil {
		if d, err := testenv.Own("sshd", strconv.Itoa(cmd.Process.Pid), st); err == nil {
			drop = d
		}
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop := func() {
		cmd.Process.Kill()
		<-done
		drop()
	}
	for _, a := range cfg.ListenAddresses {
		if err := waitListening(net.JoinHostPort(a, strconv.Itoa(cfg.Port)), done, log); err != nil {
			stop()
			return err
		}
	}
	s.mu.Lock()
	s.stop, s.pid = stop, cmd.Process.Pid
	s.mu.Unlock()
	return nil
}

// freePort returns a port that was free a moment ago on 127.0.0.1.
func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitListening(addr string, exited <-chan struct{}, log *lockedBuffer) error {
	deadline := time.Now().Add(15 * time.Second)
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("sshd exited before listening on %s:\n%s", addr, log.String())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sshd not listening on %s after 15s: %v\n%s", addr, err, log.String())
		}
		time.Sleep(delay)
	}
}

// KnownHostsLine returns a plain known_hosts line naming host (as OpenSSH
// writes it: bare for port 22, [host]:port otherwise) with the key of the
// given type.
func (s *Server) KnownHostsLine(host string, port int, keyType string) string {
	name := host
	if port != 22 {
		name = "[" + host + "]:" + strconv.Itoa(port)
	}
	k := s.HostKeys[keyType]
	return name + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

// Users are the accounts of scripts/testusers.sh for one test.
type Users struct {
	Prefix   string
	Password string
	NoPasswd string // NOPASSWD sudo
	Passwd   string // sudo wants a password
	None     string // not in sudoers
	TTY      string // requiretty
}

var userSeq struct {
	sync.Mutex
	n int
}

// TestUsers creates the accounts with a fresh password and removes them
// when the test ends.
func TestUsers(t testing.TB) *Users {
	t.Helper()
	testenv.Root(t, "useradd and sudoers")
	testenv.LookPath(t, "sudo", "sudo")
	testenv.LookPath(t, "visudo", "sudo")
	sweepOnce(t)
	userSeq.Lock()
	userSeq.n++
	prefix := fmt.Sprintf("sfk%x%x", os.Getpid()%0xfffff, userSeq.n)
	userSeq.Unlock()
	u := &Users{Prefix: prefix, Password: "Pw-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36) + "x7",
		NoPasswd: prefix + "_nopw", Passwd: prefix + "_pw", None: prefix + "_none", TTY: prefix + "_tty"}
	script := filepath.Join(RepoRoot(t), "scripts", "testusers.sh")
	drop, err := testenv.Own("users", prefix, script)
	if err != nil {
		t.Fatal(err)
	}
	// The lock of scripts/testusers.sh is a queue (parallel tests, other
	// test binaries, benchmarks that make 100 users under it): wait in it
	// as long as the test may, and no longer.
	lockWait := 2 * time.Minute
	if d, ok := testenv.Deadline(t); ok {
		lockWait = max(time.Until(d)-time.Minute, 10*time.Second)
	}
	remove := testenv.BeforeDeadline(t, "the test users "+prefix+"_*", func() {
		if err := runTestUsers(script, "remove", prefix, "", 2*time.Minute); err != nil {
			t.Error(err)
			return
		}
		drop()
	})
	t.Cleanup(remove)
	if err := runTestUsers(script, "create", prefix, u.Password+"\n", lockWait); err != nil {
		t.Fatal(err)
	}
	return u
}

// runTestUsers runs scripts/testusers.sh, waiting for its lock at most
// lockWait (when it gives up it says who holds the lock).
func runTestUsers(script, action, prefix, stdin string, lockWait time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), lockWait+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script, action, prefix)
	// SHA512, not PAM's yescrypt: each password login checks the hash,
	// and yescrypt's cost (by design: 16 MiB of memory each) was more than
	// half of sshd's CPU for a password login here (40 logins: 9.8 s of
	// CPU with yescrypt, 4.2 s with SHA512). The accounts are fixtures; a
	// password that sfkvm sets goes through the guest's own chpasswd and
	// PAM, as before.
	cmd.Env = append(os.Environ(), fmt.Sprintf("SFKVM_TESTUSERS_LOCK_WAIT=%d", int(lockWait.Seconds())), "SFKVM_TESTUSERS_CRYPT=SHA512")
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s %s: %v\n%s", script, action, prefix, err, out)
	}
	return nil
}

var sweep sync.Once

// sweepOnce removes, once per test binary, what killed test binaries
// left (testenv.Own's records): sshd processes, network namespaces with
// their veth, test users. It reports what it could not remove.
func sweepOnce(t testing.TB) {
	sweep.Do(func() {
		err := errors.Join(
			testenv.Sweep("sshd", func(pid, start string) error {
				p, _ := strconv.Atoi(pid)
				if st, err := testenv.StartTime(p); err == nil && st == start {
					return syscall.Kill(p, syscall.SIGKILL)
				}
				return nil // gone already
			}),
			testenv.Sweep("netns", func(name, hostIf string) error {
				exec.Command("ip", "link", "del", hostIf).Run()
				if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil && !strings.Contains(string(out), "No such file") {
					return fmt.Errorf("ip netns del %s: %v: %s", name, err, out)
				}
				return nil
			}),
			testenv.Sweep("users", func(prefix, script string) error {
				return runTestUsers(script, "remove", prefix, "", 2*time.Minute)
			}),
		)
		if err != nil {
			t.Logf("removing what killed test binaries left: %v", err)
		}
	})
}

// RepoRoot returns the folder of go.mod above the working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}
