package sshtest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// User is an account on the fake server.
type User struct {
	Password string
	Sudo     Sudo // what `sudo -n` does for this user
	// AuthorizedKeys are the public keys that log the user in, as
	// ~/.ssh/authorized_keys does. A server offers the publickey method
	// only when some user has one.
	AuthorizedKeys []ssh.PublicKey
	// Chage is what `chage -l USER` prints for this user under
	// LC_ALL=C (e.g. a file of sshcheck/testdata/chage); "" means the
	// user's ageing is Debian's default for a new account, never
	// expiring. The server answers chage -l (also as `env LC_ALL=C chage
	// -l USER`) for root and through sudo; for an unknown user it says
	// what chage says.
	Chage string
}

// Config describes a fake server. The zero value is a server with no users
// and one new Ed25519 host key on a free 127.0.0.1 port.
type Config struct {
	Users map[string]User
	// KeyboardInteractiveOnly offers keyboard-interactive and not password,
	// like OpenSSH with UsePAM yes and PasswordAuthentication no. The one
	// prompt is "Password: ", not echoed.
	KeyboardInteractiveOnly bool
	// Challenge, when set with KeyboardInteractiveOnly, replaces that one
	// "Password: " round: it asks what it likes through ask (several
	// prompts, echoed ones, several rounds) and lets the user in when it
	// returns nil. check compares a password with the user's and counts
	// the attempt (AuthAttempts); answers it never passes to check are
	// not counted.
	Challenge func(user string, ask ssh.KeyboardInteractiveChallenge, check func(password string) error) error
	// HostKeys are the server's host keys; nil means one new Ed25519 key.
	// Give several (NewHostKey) to reproduce a real sshd, which offers RSA,
	// ECDSA and Ed25519.
	HostKeys []ssh.Signer
	// Handler answers commands; nil means Builtin. Commands run through
	// `sudo` reach it only when the user's Sudo policy lets them.
	Handler Handler
	// AuthDelay holds every password or keyboard-interactive answer that
	// long, as a slow PAM stack does.
	AuthDelay time.Duration
	// Latency holds everything the server sends that long before it goes
	// out, in order, as a link with that round-trip time would: every
	// round trip of the protocol (key exchange, authentication, each
	// command) takes Latency longer. A write never waits for it, and what
	// is held still goes out when the connection closes. Zero: none.
	Latency time.Duration
	// Addr to listen on; "" means 127.0.0.1:0.
	Addr string
}

// Server is an in-process SSH server for tests and demos: real SSH (x/crypto)
// over real TCP, with scripted users and commands.
type Server struct {
	cfg       Config
	ln        net.Listener
	closed    chan struct{}
	wg        sync.WaitGroup
	mu        sync.Mutex
	attempts  map[string]int
	keyLogins map[string]int
	commands  []Command
	conns     map[net.Conn]bool
}

// Start listens and serves until Close.
func Start(cfg Config) (*Server, error) {
	if cfg.HostKeys == nil {
		k, err := NewHostKey("ed25519")
		if err != nil {
			return nil, err
		}
		cfg.HostKeys = []ssh.Signer{k}
	}
	if cfg.Handler == nil {
		cfg.Handler = Builtin
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, ln: ln, closed: make(chan struct{}), attempts: map[string]int{}, keyLogins: map[string]int{}, conns: map[net.Conn]bool{}}
	s.wg.Go(s.serve)
	return s, nil
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// HostKeys returns the public host keys, in the order configured.
func (s *Server) HostKeys() []ssh.PublicKey {
	var keys []ssh.PublicKey
	for _, k := range s.cfg.HostKeys {
		keys = append(keys, k.PublicKey())
	}
	return keys
}

// KnownHostsLine returns a known_hosts line that records the server's
// first host key under hostport, the address clients dial (a guest's
// "192.0.2.10:22"), named as OpenSSH names it: the bare host for port 22,
// "[host]:port" otherwise.
func (s *Server) KnownHostsLine(hostport string) string {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, "22"
	}
	name := host
	if port != "22" {
		name = "[" + host + "]:" + port
	}
	return name + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.cfg.HostKeys[0].PublicKey())))
}

// AuthAttempts returns how many password or keyboard-interactive answers
// the server has received for user (the "none" probe is not counted).
func (s *Server) AuthAttempts(user string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[user]
}

// Commands returns the commands received so far, in order.
func (s *Server) Commands() []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands)
}

// Close stops the server and ends every connection and hanging command.
func (s *Server) Close() error {
	select {
	case <-s.closed:
		return nil
	default:
	}
	close(s.closed)
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Server) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		if s.cfg.Latency > 0 {
			c = newLatencyConn(c, s.cfg.Latency)
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Go(func() {
			s.handleConn(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		})
	}
}

func (s *Server) sshConfig() *ssh.ServerConfig {
	check := func(user, password string) error {
		s.mu.Lock()
		s.attempts[user]++
		s.mu.Unlock()
		if s.cfg.AuthDelay > 0 {
			select {
			case <-time.After(s.cfg.AuthDelay):
			case <-s.closed:
			}
		}
		if u, ok := s.cfg.Users[user]; ok && u.Password == password {
			return nil
		}
		return errors.New("wrong user or password")
	}
	cfg := &ssh.ServerConfig{MaxAuthTries: 6}
	for _, u := range s.cfg.Users {
		if len(u.AuthorizedKeys) > 0 {
			cfg.PublicKeyCallback = s.publicKey
			break
		}
	}
	if s.cfg.KeyboardInteractiveOnly {
		cfg.KeyboardInteractiveCallback = func(c ssh.ConnMetadata, ask ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			if s.cfg.Challenge != nil {
				return nil, s.cfg.Challenge(c.User(), ask, func(pw string) error { return check(c.User(), pw) })
			}
			answers, err := ask("", "", []string{"Password: "}, []bool{false})
			if err != nil {
				return nil, err
			}
			if len(answers) != 1 {
				return nil, errors.New("want one answer")
			}
			return nil, check(c.User(), answers[0])
		}
	} else {
		cfg.PasswordCallback = func(c ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			return nil, check(c.User(), string(pw))
		}
	}
	for _, k := range s.cfg.HostKeys {
		cfg.AddHostKey(k)
	}
	return cfg
}

// publicKey accepts a key of the user's AuthorizedKeys. x/crypto checks
// the signature after it accepts the key.
func (s *Server) publicKey(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	want := key.Marshal()
	for _, k := range s.cfg.Users[c.User()].AuthorizedKeys {
		if bytes.Equal(k.Marshal(), want) {
			s.mu.Lock()
			s.keyLogins[c.User()]++
			s.mu.Unlock()
			return nil, nil
		}
	}
	return nil, errors.New("key not authorized")
}

// KeyLogins returns how many times a key of user's AuthorizedKeys was
// accepted (x/crypto may ask about a key before it signs with it; each
// accepted question counts).
func (s *Server) KeyLogins(user string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keyLogins[user]
}

func (s *Server) handleConn(c net.Conn) {
	c.SetDeadline(time.Now().Add(30 * time.Second))
	sc, chans, reqs, err := ssh.NewServerConn(c, s.sshConfig())
	if err != nil {
		return
	}
	c.SetDeadline(time.Time{})
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	var wg sync.WaitGroup
	defer wg.Wait()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		wg.Go(func() { s.session(sc.User(), ch, creqs) })
	}
}

func (s *Server) session(user string, ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	gone := make(chan struct{}) // closed when the client kills or closes the session
	var once sync.Once
	for req := range reqs {
		switch req.Type {
		case "env", "pty-req":
			req.Reply(true, nil)
		case "exec":
			var p struct{ Line string }
			if err := ssh.Unmarshal(req.Payload, &p); err != nil {
				req.Reply(false, nil)
				continue
			}
			req.Reply(true, nil)
			go func() {
				// Keep reading requests (signals, EOF) while the command runs.
				for r := range reqs {
					if r.Type == "signal" {
						once.Do(func() { close(gone) })
					}
					if r.WantReply {
						r.Reply(false, nil)
					}
				}
				once.Do(func() { close(gone) })
			}()
			reply := s.exec(user, p.Line, ch)
			if reply.Hang {
				select {
				case <-gone:
				case <-s.closed:
				}
				return
			}
			fmt.Fprint(ch, reply.Stdout)
			fmt.Fprint(ch.Stderr(), reply.Stderr)
			if reply.Stream != nil {
				reply.Stream(ch, ch.Stderr())
			}
			ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(reply.ExitStatus)}))
			return
		default:
			req.Reply(false, nil)
		}
	}
}

// NewHostKey returns a new host key of kind "ed25519", "ecdsa" (P-256) or
// "rsa" (3072 bits, slow: reuse it).
func NewHostKey(kind string) (ssh.Signer, error) {
	key, err := NewPrivateKey(kind)
	if err != nil {
		return nil, err
	}
	return ssh.NewSignerFromKey(key)
}

// NewPrivateKey makes a private key of a kind NewHostKey knows, with
// ssh-keygen's default size, for a caller that writes it out
// (ssh.MarshalPrivateKey) as ssh-keygen would; another kind is an error
// that is errors.ErrUnsupported.
func NewPrivateKey(kind string) (crypto.Signer, error) {
	switch kind {
	case "ed25519":
		_, key, err := ed25519.GenerateKey(rand.Reader)
		return key, err
	case "ecdsa":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "rsa":
		return rsa.GenerateKey(rand.Reader, 3072)
	}
	return nil, fmt.Errorf("sshtest: unknown key kind %q: %w", kind, errors.ErrUnsupported)
}
