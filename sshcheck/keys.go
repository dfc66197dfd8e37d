package sshcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sfkvm/sfkvm/internal/safefile"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// KeySource yields the keys of a public-key login when a login needs them:
// Signers returns them in the order they are offered, and a release
// function, which the caller calls once the login is over (it closes the
// connection to ssh-agent, whose keys sign through it). Agent, IdentityFile
// and DefaultKeys are the sources; Target.Keys holds one.
type KeySource interface {
	Signers(ctx context.Context) (signers []ssh.Signer, release func(), err error)
}

// Why a key source gives no key, for errors.Is. They are wrapped in the
// error of Signers or IdentityFile, which names the file or socket; a
// login that fails on them is an *Error of kind ErrNoUsableMethod.
var (
	// ErrIdentityEncrypted: an identity file is protected by a passphrase
	// and no ssh-agent holds its key. sshcheck never asks for a
	// passphrase; load the key with ssh-add. The error also wraps
	// x/crypto's *ssh.PassphraseMissingError.
	ErrIdentityEncrypted = errors.New("identity is encrypted and no ssh-agent holds its key")
	// ErrNoAgent: SSH_AUTH_SOCK is not set, or no agent answers on it.
	ErrNoAgent = errors.New("no ssh-agent")
	// ErrAgentOwner: the agent's socket belongs to neither root nor the
	// caller (sudo -E keeps the SSH_AUTH_SOCK of the user who ran it).
	// That user's agent would choose the keys offered and see every login
	// it signs for; it is refused, never used, also by DefaultKeys.
	ErrAgentOwner = errors.New("ssh-agent socket owned by another user")
	// ErrNoKeys: a key source found no key at all.
	ErrNoKeys = errors.New("no key to offer")
	// ErrIdentityFormat: an identity file holds no private key that
	// x/crypto can use (not a key, a public key, a security key).
	ErrIdentityFormat = errors.New("not a private key x/crypto can use")
)

// DefaultIdentityFiles are the names in ~/.ssh that OpenSSH's ssh (9.2)
// tries when no IdentityFile is configured, in its order, less those
// x/crypto cannot sign with (id_ecdsa_sk, id_ed25519_sk, id_xmss, and
// id_dsa, which OpenSSH 9.8 dropped).
var DefaultIdentityFiles = []string{"id_rsa", "id_ecdsa", "id_ed25519"}

// Agent returns the keys held by the ssh-agent listening on the unix
// socket path; "" means $SSH_AUTH_SOCK, read at each login. Each login
// opens its own connection to the agent and closes it when done. No agent
// is an error wrapping ErrNoAgent; an agent without keys, ErrNoKeys; a
// socket owned by neither root nor the caller is refused before it is
// connected to, ErrAgentOwner.
func Agent(socket string) KeySource { return agentSource{socket: socket} }

type agentSource struct{ socket string }

func (a agentSource) Signers(ctx context.Context) ([]ssh.Signer, func(), error) {
	ag, conn, err := dialAgent(ctx, a.socket)
	if err != nil {
		return nil, nil, err
	}
	signers, err := ag.Signers()
	if err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("ssh-agent: %w", err)
	}
	if len(signers) == 0 {
		conn.Close()
		return nil, nil, fmt.Errorf("ssh-agent at %s: %w (add one with ssh-add)", conn.RemoteAddr(), ErrNoKeys)
	}
	return signers, func() { conn.Close() }, nil
}

// dialAgent connects to the agent at socket, or at $SSH_AUTH_SOCK.
func dialAgent(ctx context.Context, socket string) (agent.ExtendedAgent, net.Conn, error) {
	if socket == "" {
		socket = os.Getenv("SSH_AUTH_SOCK")
	}
	if socket == "" {
		return nil, nil, fmt.Errorf("%w: SSH_AUTH_SOCK is not set", ErrNoAgent)
	}
	if err := checkAgentOwner(socket); err != nil {
		return nil, nil, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return nil, nil, fmt.Errorf("%w at %s: %v", ErrNoAgent, socket, err)
	}
	// An agent that accepts and never answers must not hold a login
	// forever: its connection ends with ctx, and after agentTimeout.
	deadline := time.Now().Add(agentTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetDeadline(deadline)
	ac := &agentConn{Conn: conn, stop: context.AfterFunc(ctx, func() { conn.Close() })}
	return agent.NewClient(ac), ac, nil
}

// checkAgentOwner refuses a socket that is neither root's nor the
// caller's (ErrAgentOwner). A socket that is not there is left to the
// dial, which says so (ErrNoAgent).
func checkAgentOwner(socket string) error {
	fi, err := os.Stat(socket)
	if err != nil {
		return nil
	}
	uid, ok := safefile.OwnerUID(fi)
	if !ok || uid == 0 || int(uid) == os.Geteuid() {
		return nil
	}
	return fmt.Errorf("%w: %s is uid %d's, not root's or yours (uid %d): unset SSH_AUTH_SOCK, or point it at an agent of your own",
		ErrAgentOwner, socket, uid, os.Geteuid())
}

// agentTimeout bounds one login's conversation with ssh-agent (listing
// its keys and signing), whatever the caller's context.
var agentTimeout = DefaultHandshakeTimeout

// agentConn is a connection to ssh-agent that is closed when its context
// ends.
type agentConn struct {
	net.Conn
	stop func() bool
}

func (c *agentConn) Close() error {
	c.stop()
	return c.Conn.Close()
}

// identity is one private key file: its signer, or, when it is
// encrypted, its public key, which an agent may hold.
type identity struct {
	path   string
	signer ssh.Signer    // nil when encrypted
	public ssh.PublicKey // of an encrypted key; nil when its file does not say
	err    error         // the *ssh.PassphraseMissingError of an encrypted key
}

// loadIdentity reads a private key file through the guarded open of
// secrets (safefile.OpenPrivate: a regular file, not a symbolic link,
// owned by root or the caller, no bits for group or others), as OpenSSH
// refuses an "UNPROTECTED PRIVATE KEY FILE".
func loadIdentity(path string) (*identity, error) {
	f, err := safefile.OpenPrivate(path)
	if err != nil {
		return nil, fmt.Errorf("identity %w", err)
	}
	defer f.Close()
	const maxKeyFile = 64 << 10 // an RSA 16384 key is under 13 KiB
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("identity %s: %w", path, err)
	}
	defer wipe(data)
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("identity %s: %w: larger than %d bytes", path, ErrIdentityFormat, maxKeyFile)
	}
	signer, err := ssh.ParsePrivateKey(data)
	var missing *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &missing):
		return &identity{path: path, public: missing.PublicKey, err: err}, nil
	case err != nil:
		return nil, fmt.Errorf("identity %s: %w: %w", path, ErrIdentityFormat, err)
	}
	return &identity{path: path, signer: signer}, nil
}

// signer returns the key of id: its own, or for an encrypted key the
// agent's signer for the same public key.
func (id *identity) signerFrom(agentSigners []ssh.Signer, agentErr error) (ssh.Signer, error) {
	if id.signer != nil {
		return id.signer, nil
	}
	if id.public != nil {
		want := id.public.Marshal()
		for _, s := range agentSigners {
			if bytes.Equal(s.PublicKey().Marshal(), want) {
				return s, nil
			}
		}
	}
	why := "no ssh-agent holds it"
	switch {
	case agentErr != nil:
		why = agentErr.Error()
	case id.public == nil:
		why = "its file does not show the public key, so the agent's keys cannot be matched to it"
	}
	return nil, fmt.Errorf("identity %s: %w (%s); sfkvm never asks for a passphrase: load it into ssh-agent with `ssh-add %s` and keep SSH_AUTH_SOCK set: %w",
		id.path, ErrIdentityEncrypted, why, id.path, id.err)
}

// IdentityFile reads the private key in path now and returns it as a
// KeySource offering that key only (as OpenSSH's ssh -i with
// IdentitiesOnly yes). The file goes through the guarded open of secrets:
// a symbolic link, a file that group or others may read, or one owned by
// another user is refused. A key protected by a passphrase is used only
// through ssh-agent ($SSH_AUTH_SOCK) holding the same key; without one it
// is refused now, with an error wrapping ErrIdentityEncrypted and
// *ssh.PassphraseMissingError. Nothing ever prompts.
func IdentityFile(path string) (KeySource, error) {
	id, err := loadIdentity(path)
	if err != nil {
		return nil, err
	}
	if id.signer == nil {
		// Fail now rather than at every host; the agent is asked again
		// at each login.
		_, release, err := id.fromAgent(context.Background())
		if err != nil {
			return nil, err
		}
		release()
	}
	return identitySource{id}, nil
}

type identitySource struct{ id *identity }

func (s identitySource) Signers(ctx context.Context) ([]ssh.Signer, func(), error) {
	if s.id.signer != nil {
		return []ssh.Signer{s.id.signer}, func() {}, nil
	}
	signer, release, err := s.id.fromAgent(ctx)
	if err != nil {
		return nil, nil, err
	}
	return []ssh.Signer{signer}, release, nil
}

// fromAgent finds the key of an encrypted identity in the agent.
func (id *identity) fromAgent(ctx context.Context) (ssh.Signer, func(), error) {
	var agentSigners []ssh.Signer
	ag, conn, agentErr := dialAgent(ctx, "")
	if agentErr == nil {
		agentSigners, agentErr = ag.Signers()
	}
	release := func() {
		if conn != nil {
			conn.Close()
		}
	}
	s, err := id.signerFrom(agentSigners, agentErr)
	if err != nil {
		release()
		return nil, nil, err
	}
	return s, release, nil
}

// DefaultKeys returns the keys OpenSSH's ssh would offer as the current
// user (root, for sfkvm) without a configuration: first those of
// ssh-agent at $SSH_AUTH_SOCK, then the files of DefaultIdentityFiles in
// the user's ~/.ssh (the home taken from the password database) that the
// agent does not already hold, in that order. The files are read at each
// login, through the guarded open of secrets: an unsafe file (a symbolic
// link, readable by group or others, owned by another user) is an error,
// never skipped, and so is a file that holds no private key x/crypto can
// use (ErrIdentityFormat). A missing file or agent is skipped; an agent
// socket of another user is an error (ErrAgentOwner). An encrypted file
// whose key the agent does not hold is skipped while other keys remain;
// when no key remains, the error names it (ErrIdentityEncrypted), or
// else says that there is none (ErrNoKeys).
func DefaultKeys() KeySource { return defaultSource{} }

type defaultSource struct {
	home string // "" means the current user's; set by tests
}

func (d defaultSource) Signers(ctx context.Context) ([]ssh.Signer, func(), error) {
	home := d.home
	if home == "" {
		h, err := homeDir()
		if err != nil {
			return nil, nil, err
		}
		home = h
	}
	var ids []*identity
	var tried []string
	for _, name := range DefaultIdentityFiles {
		path := filepath.Join(home, ".ssh", name)
		tried = append(tried, path)
		if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
			continue
		}
		id, err := loadIdentity(path)
		if err != nil {
			return nil, nil, err
		}
		ids = append(ids, id)
	}

	var signers []ssh.Signer
	var agentSigners []ssh.Signer
	ag, conn, agentErr := dialAgent(ctx, "")
	if errors.Is(agentErr, ErrAgentOwner) {
		return nil, nil, agentErr // told, not skipped as a missing agent is
	}
	release := func() {}
	if agentErr == nil {
		release = func() { conn.Close() }
		agentSigners, agentErr = ag.Signers()
		signers = append(signers, agentSigners...)
	}
	var skipped []error
	for _, id := range ids {
		if id.signer == nil {
			if _, err := id.signerFrom(agentSigners, agentErr); err != nil {
				skipped = append(skipped, err)
			}
			continue // the agent's copy is offered already
		}
		if !holds(agentSigners, id.signer.PublicKey()) {
			signers = append(signers, id.signer)
		}
	}
	if len(signers) == 0 {
		release()
		if len(skipped) > 0 {
			return nil, nil, errors.Join(skipped...)
		}
		why := "ssh-agent holds no key"
		if agentErr != nil {
			why = agentErr.Error()
		}
		return nil, nil, fmt.Errorf("%w: %s, and none of %s exists", ErrNoKeys, why, strings.Join(tried, ", "))
	}
	return signers, release, nil
}

func holds(signers []ssh.Signer, key ssh.PublicKey) bool {
	want := key.Marshal()
	for _, s := range signers {
		if bytes.Equal(s.PublicKey().Marshal(), want) {
			return true
		}
	}
	return false
}

// offered lists the SHA256 fingerprints of signers, for a refusal.
func offered(signers []ssh.Signer) string {
	fps := make([]string, len(signers))
	for i, s := range signers {
		fps[i] = s.PublicKey().Type() + " " + ssh.FingerprintSHA256(s.PublicKey())
	}
	return strings.Join(fps, ", ")
}

// keyHint says what to do when a login by key failed.
func keyHint(t Target, kind error, allowed []string, noKeys bool) string {
	switch {
	case noKeys:
		return "load the key into ssh-agent (ssh-add) or name an identity file without a passphrase; sfkvm never asks for a passphrase"
	case kind == ErrNoUsableMethod:
		return fmt.Sprintf("the host offers %s: enable PubkeyAuthentication in its sshd_config", methodList(allowed))
	case t.IsRoot():
		return "add the public key to /root/.ssh/authorized_keys on the host (ssh-copy-id); its sshd needs PermitRootLogin prohibit-password or yes"
	}
	return fmt.Sprintf("add the public key to ~%s/.ssh/authorized_keys on the host (ssh-copy-id)", t.User)
}
