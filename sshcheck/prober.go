package sshcheck

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// Prober logs in to targets the way PRIMECLUSTER will at migration time and
// reports, per target, whether that works. It is safe for concurrent use.
type Prober struct {
	opts Options
	keys *hostKeys
}

// New returns a Prober; it reads the known_hosts files now (a missing file
// is an empty one) and again after each key it records.
func New(opts Options) (*Prober, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	keys, err := newHostKeys(o.KnownHostsFiles, o.GlobalKnownHostsFiles)
	if err != nil {
		return nil, err
	}
	return &Prober{opts: o, keys: keys}, nil
}

// Result is the outcome of probing one target.
type Result struct {
	Target      Target
	Err         error         // nil when every check held; else an *Error
	Fingerprint string        // SHA256 fingerprint of the host key, when one was seen
	Trusted     bool          // this probe recorded the host key (TrustUnknown)
	SudoChecked bool          // sudo -n true was run (non-root users)
	Duration    time.Duration // wall time of the probe
}

// OK reports whether every check held.
func (r Result) OK() bool { return r.Err == nil }

// Reason is a short word for the outcome: "ok", or the failure's kind.
func (r Result) Reason() string {
	if r.Err == nil {
		return "ok"
	}
	if k := Kind(r.Err); k != nil {
		return k.Error()
	}
	return r.Err.Error()
}

// Hint returns what to do about a failure, when known.
func (r Result) Hint() string {
	var e *Error
	if errors.As(r.Err, &e) {
		return e.Hint
	}
	return ""
}

// Probe checks one target: the TCP connection, the host key against
// known_hosts, one login attempt with the password (after the keys of
// Target.Keys, when it has them), and for a non-root user `LC_ALL=C sudo
// -n true`. It never returns early without a Result.
func (p *Prober) Probe(ctx context.Context, t Target) Result {
	r, c := p.Open(ctx, t)
	if c != nil {
		c.Close()
	}
	return r
}

// Open is Probe that keeps the connection: when the probe succeeds it
// returns the logged-in Client as well, for the caller to run commands on
// and close. Checks that first probe and then run commands need one login
// instead of two (a login is most of what a guest costs: the key exchange
// on both sides). The Client is nil whenever the Result has an error.
func (p *Prober) Open(ctx context.Context, t Target) (Result, *Client) {
	start := time.Now()
	c, err := p.Dial(ctx, t)
	r := Result{Target: t}
	if c != nil {
		r.Fingerprint, r.Trusted = c.fingerprint, c.trusted
		if !t.IsRoot() {
			r.SudoChecked = true
			err = c.CheckSudo(ctx)
		}
		if err != nil {
			c.Close()
			c = nil
		}
	} else {
		var e *Error
		if errors.As(err, &e) {
			r.Fingerprint, r.Trusted = e.Fingerprint, e.Trusted
		}
	}
	r.Err = err
	r.Duration = time.Since(start)
	return r, c
}

// ProbeAll probes every target, at most Options.Parallel at once, and
// returns one result per target in the order given. A failure never stops
// the others, and a guest that hangs costs its own timeout only.
func (p *Prober) ProbeAll(ctx context.Context, targets []Target) []Result {
	results := make([]Result, len(targets))
	sem := make(chan struct{}, p.opts.Parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for i, t := range targets {
		wg.Go(func() {
			sem <- struct{}{}
			r := p.Probe(ctx, t)
			<-sem
			results[i] = r
			if p.opts.Progress != nil {
				mu.Lock()
				done++
				p.opts.Progress(done, len(targets), r)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return results
}

// Dial logs in to t and returns a Client for running commands. The checks
// are those of Probe except sudo. Close the Client when done.
func (p *Prober) Dial(ctx context.Context, t Target) (*Client, error) {
	sc, a, err := p.dial(ctx, t)
	if err != nil {
		return nil, err
	}
	return &Client{client: sc, target: t, timeout: p.opts.CommandTimeout,
		fingerprint: a.fingerprint, trusted: a.trusted, password: a.kept}, nil
}

// Client is a logged-in connection to one target. Its Run method has the
// shape of the Runner that sdfacility and others declare.
type Client struct {
	client      *ssh.Client
	target      Target
	timeout     time.Duration
	fingerprint string
	trusted     bool
	password    []byte // the password it logged in with; scrubbed from remote text
}

// SetCommandTimeout bounds each command of c by d from now on, in place of
// Options.CommandTimeout; d <= 0 leaves only the context of each call. A
// caller whose commands have deadlines of their own (a run's --timeout)
// uses it, so that a busy host is not cut off by a bound nobody set.
func (c *Client) SetCommandTimeout(d time.Duration) { c.timeout = d }

// Target returns the target the client is logged in to.
func (c *Client) Target() Target { return c.target }

// Fingerprint returns the SHA256 fingerprint of the server's host key.
func (c *Client) Fingerprint() string { return c.fingerprint }

// Close ends the connection.
func (c *Client) Close() error {
	clear(c.password)
	return c.client.Close()
}

// PasswordRedacted stands, in what a host printed, for the password the
// client logged in with: a hostile or broken host that echoes it (in
// sudo's or a command's stderr, say) must not put it into a report, a log
// or a terminal.
const PasswordRedacted = "<password>"

// scrub replaces the login password in b (a stream the host printed).
func (c *Client) scrub(b []byte) []byte {
	if len(c.password) == 0 || !bytes.Contains(b, c.password) {
		return b
	}
	return bytes.ReplaceAll(b, c.password, []byte(PasswordRedacted))
}
