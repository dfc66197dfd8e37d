package sshcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// attempt is the state of one connection attempt, filled in by the host key
// and authentication callbacks so that a failure can be told apart
// afterwards (x/crypto returns most of them as plain errors).
type attempt struct {
	p        *Prober
	target   Target
	hostport string
	password []byte
	kept     []byte       // a copy of password once logged in, for the Client
	signers  []ssh.Signer // of Target.Keys
	keysErr  error        // why Target.Keys gave none

	hostKeySeen bool
	fingerprint string
	trusted     bool
	hostKeyErr  error

	method     string // the method tried last: publickey, password or keyboard-interactive
	allowed    []string
	kiAnswered bool
	kiRounds   int
	authErr    error // why we stopped authenticating: its kind
	authWhy    error // and its detail, when we know more than the kind
}

// Bounds on what a keyboard-interactive server may ask of one attempt.
const (
	maxKIRounds      = 5 // rounds, empty ones included
	maxQuotedPrompts = 3 // prompts quoted in a refusal
)

// errors returned from callbacks to abort the handshake; attempt records
// the real reason.
var errStop = errors.New("sshcheck: stopped")

func (a *attempt) hostKey(_ string, _ net.Addr, key ssh.PublicKey) error {
	a.hostKeySeen = true
	a.fingerprint = ssh.FingerprintSHA256(key)
	err := check(a.p.keys.current(), a.hostport, key)
	if err != nil && errors.Is(err, ErrHostKeyUnknown) && a.p.opts.HostKeyPolicy == TrustUnknown {
		wrote, terr := a.p.keys.trust(a.hostport, key)
		if terr == nil {
			a.trusted = wrote
			return nil
		}
		err = terr
	}
	if err != nil {
		a.hostKeyErr = err
	}
	return err
}

// auth chooses the authentication attempts of this probe. It runs after
// the "none" method has shown what the server allows, and again after each
// failure. The target's keys (Target.Keys) go first, all in one publickey
// method; then the password, once: after a refused password it stops, as
// a second guess would count twice in pam_faillock.
func (a *attempt) auth(c *ssh.ClientAuthContext) (ssh.AuthMethod, error) {
	a.allowed = c.AllowedMethods
	if a.authErr != nil {
		return nil, errStop
	}
	if len(c.PartialSuccessMethods) > 0 {
		// A second factor is wanted; PRIMECLUSTER cannot give one either.
		a.authErr = ErrNoUsableMethod
		return nil, errStop
	}
	triedKeys := false
	for _, m := range c.TriedMethods {
		switch m {
		case "none":
		case "publickey":
			triedKeys = true
		default:
			a.authErr = ErrAuthFailed
			return nil, errStop
		}
	}
	if len(a.signers) > 0 && !triedKeys && slices.Contains(c.AllowedMethods, "publickey") {
		a.method = "publickey"
		return ssh.PublicKeys(a.signers...), nil
	}
	if a.password == nil {
		switch {
		case triedKeys:
			a.authErr = ErrAuthFailed
			a.authWhy = fmt.Errorf("no key was accepted (offered %s)", offered(a.signers))
		case a.keysErr != nil:
			a.authErr = ErrNoUsableMethod
			a.authWhy = a.keysErr
		default:
			a.authErr = ErrNoUsableMethod
		}
		return nil, errStop
	}
	switch {
	case slices.Contains(c.AllowedMethods, "password"):
		a.method = "password"
		return ssh.Password(string(a.password)), nil
	case slices.Contains(c.AllowedMethods, "keyboard-interactive"):
		a.method = "keyboard-interactive"
		return ssh.KeyboardInteractive(a.answer), nil
	}
	a.authErr = ErrNoUsableMethod
	return nil, errStop
}

// answer replies to keyboard-interactive prompts. The password is sent
// once, to a round of exactly one prompt that is not echoed and that asks
// for a password (isPasswordPrompt); an empty round gets an empty answer.
// Anything else ends the attempt without sending the password: an echoed
// question, several prompts at once, a prompt for anything else (a
// one-time code), or a further round after the password was sent (a
// second factor, or the same question again, which PAM asks only after
// refusing the password). The prompt is kept, quoted, for the error.
func (a *attempt) answer(name, instruction string, questions []string, echos []bool) ([]string, error) {
	if a.kiRounds++; a.kiRounds > maxKIRounds {
		// A server that asks without end would hold the probe until the
		// handshake deadline: OpenSSH with PAM needs two rounds.
		a.authErr = ErrNoUsableMethod
		a.authWhy = fmt.Errorf("keyboard-interactive asked more than %d rounds; %s", maxKIRounds, a.passwordFate())
		return nil, errStop
	}
	if len(questions) == 0 {
		return nil, nil
	}
	refuse := func(kind error, why string) ([]string, error) {
		var quoted []string
		for i, q := range questions {
			if i == maxQuotedPrompts {
				quoted = append(quoted, fmt.Sprintf("and %d more", len(questions)-i))
				break
			}
			quoted = append(quoted, QuoteRemote([]byte(q)))
		}
		a.authErr = kind
		a.authWhy = fmt.Errorf("keyboard-interactive asks %s: %s; %s", strings.Join(quoted, ", "), why, a.passwordFate())
		return nil, errStop
	}
	switch {
	case a.kiAnswered && asksPasswordChange(name, instruction, questions):
		return refuse(ErrPasswordExpired, "the password was accepted, but the guest requires it changed now, which PRIMECLUSTER cannot do")
	case a.kiAnswered && len(questions) == 1 && !echos[0] && isPasswordPrompt(questions[0]):
		return refuse(ErrAuthFailed, "asked again after the password, so it was refused")
	case a.kiAnswered:
		return refuse(ErrNoUsableMethod, "a further question after the password (a second factor, or an expired password), which PRIMECLUSTER cannot answer")
	case len(questions) > 1:
		return refuse(ErrNoUsableMethod, "several questions at once, not a password prompt alone")
	case echos[0]:
		return refuse(ErrNoUsableMethod, "an echoed question, not a password prompt")
	case !isPasswordPrompt(questions[0]):
		return refuse(ErrNoUsableMethod, "not a password prompt")
	}
	a.kiAnswered = true
	return []string{string(a.password)}, nil
}

// passwordFate says, for a refusal, where the password went.
func (a *attempt) passwordFate() string {
	if a.kiAnswered {
		return "the password was sent once, to the password prompt before, and not again"
	}
	return "the password was not sent"
}

// dial connects and authenticates, retrying once (after a random wait) a
// connection that the server dropped before showing its host key: that is
// how sshd's MaxStartups sheds load. Nothing else is retried.
func (p *Prober) dial(ctx context.Context, t Target) (*ssh.Client, *attempt, error) {
	var password []byte
	var signers []ssh.Signer
	var keysErr error
	if t.Keys != nil {
		var release func()
		signers, release, keysErr = t.Keys.Signers(ctx)
		if keysErr == nil {
			defer release()
		}
	}
	if t.Password != nil {
		pw, err := t.Password.Password(ctx)
		if err != nil {
			return nil, &attempt{}, &Error{Kind: ErrPasswordSource, Address: t.HostPort(), Stage: StagePassword, Err: err}
		}
		password = pw
		defer wipe(password)
	}
	for try := 0; ; try++ {
		c, a, err := p.handshake(ctx, t, password, signers, keysErr)
		if err == nil && len(password) > 0 {
			// Kept for the Client's life, to scrub from what the host
			// prints (Client.scrub); wiped by Close.
			a.kept = bytes.Clone(password)
		}
		if err == nil || try > 0 || !a.droppedEarly(err) {
			return c, a, err
		}
		d := p.opts.RetryDelay/2 + rand.N(p.opts.RetryDelay/2+1)
		select {
		case <-ctx.Done():
			return nil, a, err
		case <-time.After(d):
		}
	}
}

// droppedEarly reports whether err is a reset or close before the host key
// was checked.
func (a *attempt) droppedEarly(err error) bool {
	if a.hostKeySeen || !errors.Is(err, ErrConnection) {
		return false
	}
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF)
}

func (p *Prober) handshake(ctx context.Context, t Target, password []byte, signers []ssh.Signer, keysErr error) (*ssh.Client, *attempt, error) {
	hostport := t.HostPort()
	a := &attempt{p: p, target: t, hostport: hostport, password: password, signers: signers, keysErr: keysErr}
	fail := func(kind error, stage Stage, err error) error {
		return &Error{Kind: kind, Address: hostport, Stage: stage, Err: err}
	}

	dctx, cancel := context.WithTimeout(ctx, p.opts.DialTimeout)
	conn, err := p.opts.DialContext(dctx, "tcp", hostport)
	cancel()
	if err != nil {
		return nil, a, fail(dialKind(err), StageDial, err)
	}

	deadline := time.Now().Add(p.opts.HandshakeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.Close() })

	cfg := &ssh.ClientConfig{
		User:              t.User,
		HostKeyCallback:   a.hostKey,
		HostKeyAlgorithms: p.keys.algorithms(hostport),
		AuthCallback:      a.auth,
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, hostport, cfg)
	if err != nil {
		stop()
		conn.Close()
		return nil, a, a.classify(ctx, deadline, err)
	}
	if !stop() {
		sc.Close()
		return nil, a, fail(ErrTimeout, StageAuth, ctx.Err())
	}
	conn.SetDeadline(time.Time{})
	return ssh.NewClient(sc, chans, reqs), a, nil
}

// classify turns a failed handshake into an *Error. The deadline is looked
// at first: a timeout inside authentication must never read as a wrong
// password.
func (a *attempt) classify(ctx context.Context, deadline time.Time, err error) error {
	e := &Error{Address: a.hostport, Err: err, Fingerprint: a.fingerprint, Trusted: a.trusted}
	e.Stage = authStage(a.method)
	if !a.hostKeySeen {
		e.Stage = StageHandshake
	}
	var netErr net.Error
	switch {
	case ctx.Err() != nil:
		e.Kind, e.Err = ErrTimeout, ctx.Err()
	case !time.Now().Before(deadline), errors.As(err, &netErr) && netErr.Timeout():
		e.Kind, e.Err = ErrTimeout, fmt.Errorf("no answer within the handshake timeout (%v)", a.p.opts.HandshakeTimeout)
	case a.hostKeyErr != nil:
		var he *Error
		if errors.As(a.hostKeyErr, &he) {
			he.Address, he.Stage = a.hostport, StageHostKey
			return he
		}
		e.Kind, e.Stage, e.Err = ErrConnection, StageHostKey, a.hostKeyErr
	case a.authErr == ErrPasswordExpired:
		e.Kind, e.Err, e.Hint = ErrPasswordExpired, a.authWhy, passwordExpiredHint(a.target)
	case a.authErr != nil:
		e.Kind = a.authErr
		e.Err = fmt.Errorf("server allows %s", methodList(a.allowed))
		switch {
		case a.authWhy != nil:
			e.Err = a.authWhy
		case a.authErr == ErrAuthFailed:
			e.Err = fmt.Errorf("the %s was refused (one attempt, no second guess)", a.method)
		}
		e.Hint = a.hint(a.authErr)
	case a.method != "" && isDisconnect(err):
		// Some servers hang up instead of answering "failure" (sshd after
		// MaxAuthTries keys).
		e.Kind = ErrAuthFailed
		e.Hint = a.hint(ErrAuthFailed)
	default:
		e.Kind = ErrConnection
	}
	return e
}

// isDisconnect reports a hang-up: EOF, a reset, or an SSH disconnect
// message (whose type x/crypto does not export).
func isDisconnect(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || strings.Contains(err.Error(), "ssh: disconnect")
}

// hint says what to do about an authentication failure: of a key login
// when the target logs in by key and no password was tried, else of a
// password login.
func (a *attempt) hint(kind error) string {
	if a.target.Keys != nil && a.method != "password" && a.method != "keyboard-interactive" {
		return keyHint(a.target, kind, a.allowed, a.keysErr != nil)
	}
	return authHint(a.target, kind, a.allowed)
}

func authHint(t Target, kind error, allowed []string) string {
	switch {
	case t.IsRoot():
		return "root logins with a password fail exactly like a wrong password when the guest's sshd has " +
			"PermitRootLogin prohibit-password (the default): set PermitRootLogin yes on the guest, or use a non-root user with NOPASSWD sudo (step 1.2)"
	case kind == ErrNoUsableMethod:
		return fmt.Sprintf("the guest offers %s; PRIMECLUSTER logs in with a password: enable PasswordAuthentication or KbdInteractiveAuthentication", methodList(allowed))
	default:
		return "check guest_user and the password behind guest_passwd; the account may also be locked (pam_faillock)"
	}
}

// methodList shows the method names a server sent, quoted: they are remote
// text.
func methodList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = QuoteRemote([]byte(n))
	}
	return "[" + strings.Join(q, " ") + "]"
}

// dialKind tells refused, unreachable and timed-out connects apart.
func dialKind(err error) error {
	var netErr net.Error
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrConnectionRefused
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH), errors.As(err, &dnsErr):
		return ErrUnreachable
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled), errors.As(err, &netErr) && netErr.Timeout():
		return ErrTimeout
	}
	return ErrConnection
}
