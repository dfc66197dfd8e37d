package rotate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/safefile"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// Errors of the whole run, before any guest changed; test with errors.Is.
var (
	ErrPlan         = errors.New("rotate: incomplete plan")
	ErrUnknownGuest = errors.New("rotate: no such guest in the file")
	ErrCopiesDiffer = errors.New("rotate: another host's copy differs from this host's file")
	ErrChpasswd     = errors.New("the guest refused the new password")
	ErrRestore      = errors.New("the old password could not be put back")
)

// Fingerprint shows a token as kvmguests shows it in diffs, "<token
// hmac:1a2b3c4d>": keyed per process, never the token.
func Fingerprint(token string) string { return kvmguests.RedactLine(token) }

// Run rotates the password of the plan's guests and replaces
// kvmguests.conf on this host and every other host. See the package
// documentation for the order and what each failure leaves.
func Run(ctx context.Context, p Plan) Report {
	p = p.withDefaults()
	rep := Report{DryRun: p.DryRun, File: p.File}
	switch {
	case p.Prober == nil || p.OldPassword == nil || p.Encrypter == nil:
		rep.Err = fmt.Errorf("%w: Prober, OldPassword and Encrypter are needed", ErrPlan)
		return rep
	case len(p.Hosts) > 0 && p.Connect == nil:
		rep.Err = fmt.Errorf("%w: Hosts without Connect", ErrPlan)
		return rep
	}
	for _, h := range p.Hosts {
		if !filepath.IsAbs(h.File) {
			rep.Err = fmt.Errorf("%w: host %s: %q is not an absolute path", ErrPlan, h.Name, h.File)
			return rep
		}
	}
	if err := cipher.CheckPassword(p.NewPassword.Bytes()); err != nil {
		rep.Err = err
		return rep
	}
	old, err := kvmguests.ReadCopy(p.File)
	if err != nil {
		rep.Err = err
		return rep
	}
	rep.OldHash = hashOf(old.Data)
	cfg, diags := kvmguests.ParseBytes(old.Data, p.File, p.FileOptions)
	if err := diags.Err(); err != nil {
		rep.Err = err
		return rep
	}
	chosen, err := choose(cfg.Guests(), p.Guests)
	if err != nil {
		rep.Err = err
		return rep
	}

	// Every other host must hold this host's file before anything
	// changes: a host that differs was edited apart (overwriting it would
	// lose that), and a host that cannot be reached now is found before
	// any guest's password changes.
	rep.Hosts = readHosts(ctx, p, rep.OldHash, "")
	if err := ctx.Err(); err != nil {
		rep.Err = fmt.Errorf("rotate: stopped before any guest changed: %w", cause(ctx, err))
		return rep
	}
	for _, h := range rep.Hosts[1:] {
		if h.Holds != "old" {
			rep.Err = fmt.Errorf("%w: %s (%s); make the copies identical first (sfkvm preflight shows the difference), or leave the host out", ErrCopiesDiffer, h.Host, h.Holds)
			return rep
		}
	}

	// The guests, at most Parallel at once.
	rep.Guests = make([]GuestResult, len(chosen))
	tokens := make([]string, len(chosen))
	var wg sync.WaitGroup
	sem := make(chan struct{}, p.Parallel)
	for i, g := range chosen {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				rep.Guests[i] = GuestResult{Guest: g.Name, Address: g.IP.String(), User: g.User, State: Kept,
					Stage: "interrupted", OldToken: Fingerprint(g.Password.Reveal()), Err: context.Cause(ctx)}
				return
			}
			rep.Guests[i], tokens[i] = rotateGuest(ctx, p, g)
		})
	}
	wg.Wait()
	if p.DryRun {
		return rep
	}
	var changed []int
	for i := range rep.Guests {
		if rep.Guests[i].State == Rotated {
			changed = append(changed, i)
		}
	}
	if len(changed) == 0 {
		return rep
	}

	// The new file: the old one with the rotated guests' new tokens.
	for _, i := range changed {
		for _, l := range cfg.Lines {
			if l.Guest != nil && l.Guest.Name == chosen[i].Name {
				l.Guest.Password = kvmguests.Token(tokens[i])
			}
		}
	}
	data, err := kvmguests.Marshal(cfg, p.File, p.FileOptions)
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	if err == nil {
		err = safefile.WriteFile(p.File, data)
	}
	if err != nil {
		// Nothing was written anywhere: every changed guest gets its
		// old password back.
		cctx, cancel := cleanupContext(ctx, p)
		defer cancel()
		stage := "file"
		if ctx.Err() != nil {
			stage = "interrupted"
		}
		restoreAll(cctx, p, chosen, rep.Guests, changed, stage, fmt.Errorf("%s was not replaced: %w", p.File, err))
		rep.Hosts = readHosts(cctx, p, rep.OldHash, "")
		return rep
	}
	rep.NewHash = hashOf(data)

	// This host's file is the point of no return: the other hosts are
	// written even when the run is interrupted from now on (within
	// CleanupTimeout; a second signal ends the program at once), then
	// every copy is read back: the report must say who holds what.
	cctx, cancel := cleanupContext(ctx, p)
	defer cancel()
	wrote := writeHosts(cctx, p, data)
	rep.Hosts = readHosts(cctx, p, rep.OldHash, rep.NewHash)
	var behind []string
	for i := range rep.Hosts {
		h := &rep.Hosts[i]
		if i > 0 {
			h.Wrote = wrote[i-1] == nil
			if h.Err == nil && wrote[i-1] != nil {
				h.Err = wrote[i-1]
			}
		} else {
			h.Wrote = true
		}
		if h.Holds != "new" {
			behind = append(behind, h.Host)
		}
	}
	if len(behind) > 0 {
		rep.Resume = p.ResumeCommand + " --hosts " + strings.Join(behind, ",")
		for _, i := range changed {
			g := &rep.Guests[i]
			g.Detail = fmt.Sprintf("the new password is on the guest; %s still hold %s", strings.Join(behind, ", "), g.OldToken)
		}
	}
	return rep
}

// Retry finishes a run that replaced this host's file and not every other
// host's: each host whose copy differs from this host's file gets it, and
// every copy is read back. The guests are not touched.
func Retry(ctx context.Context, p Plan) Report {
	p = p.withDefaults()
	rep := Report{File: p.File}
	cur, err := kvmguests.ReadCopy(p.File)
	if err != nil {
		rep.Err = err
		return rep
	}
	rep.NewHash = hashOf(cur.Data)
	before := readHosts(ctx, p, "", rep.NewHash)
	todo := make([]bool, len(p.Hosts))
	for i, h := range before[1:] {
		todo[i] = h.Holds != "new"
	}
	wrote := writeHostsIf(ctx, p, cur.Data, todo)
	cctx, cancel := cleanupContext(ctx, p)
	defer cancel()
	rep.Hosts = readHosts(cctx, p, "", rep.NewHash)
	var behind []string
	for i := range rep.Hosts[1:] {
		h := &rep.Hosts[i+1]
		h.Wrote = todo[i] && wrote[i] == nil
		if h.Err == nil && todo[i] {
			h.Err = wrote[i]
		}
		if h.Holds != "new" {
			behind = append(behind, h.Host)
		}
	}
	if len(behind) > 0 {
		rep.Resume = p.ResumeCommand + " --hosts " + strings.Join(behind, ",")
	}
	return rep
}

// cause returns err, or, when ctx has ended, ctx's cause: an interrupt
// reads as itself ("interrupted" in sfkvm), not as what it cut short.
func cause(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}

func cleanupContext(ctx context.Context, p Plan) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), p.CleanupTimeout)
}

// choose returns the guests named, in file order; nil names means all.
func choose(all []kvmguests.Guest, names []string) ([]kvmguests.Guest, error) {
	if names == nil {
		return all, nil
	}
	var out []kvmguests.Guest
	for _, n := range names {
		if !slices.ContainsFunc(all, func(g kvmguests.Guest) bool { return g.Name == n }) {
			return nil, fmt.Errorf("%w: %q", ErrUnknownGuest, n)
		}
	}
	for _, g := range all {
		if slices.Contains(names, g.Name) {
			out = append(out, g)
		}
	}
	return out, nil
}

// rotateGuest changes one guest's password and proves it, or leaves the
// guest with its old password and proves that. It returns the new token
// when the guest was rotated.
func rotateGuest(ctx context.Context, p Plan, g kvmguests.Guest) (GuestResult, string) {
	res := GuestResult{Guest: g.Name, Address: g.IP.String(), User: g.User, State: Kept,
		OldToken: Fingerprint(g.Password.Reveal())}
	fail := func(stage string, err error) (GuestResult, string) {
		if ctx.Err() != nil {
			stage = "interrupted"
		}
		res.Stage, res.Err = stage, cause(ctx, err)
		return res, ""
	}
	token, err := p.Encrypter(g).Encrypt(ctx, p.NewPassword.Bytes())
	if err != nil {
		return fail("token", err)
	}
	res.NewToken = Fingerprint(token)
	oldSrc := p.OldPassword(g)
	if oldSrc == nil {
		return fail("login", errors.New("no current password for this guest"))
	}
	c, err := p.Prober.Dial(ctx, preflight.GuestTarget(g, p.GuestPort, oldSrc))
	if err != nil {
		return fail("login", err)
	}
	defer c.Close()
	if err := c.CheckSudo(ctx); err != nil {
		return fail("sudo", err)
	}
	if p.DryRun {
		res.State, res.Proven = WouldRotate, "old password"
		return res, ""
	}
	oldPW, err := oldSrc.Password(ctx)
	if err != nil {
		return fail("login", err)
	}
	defer clear(oldPW)

	cctx, cancel := cleanupContext(ctx, p)
	defer cancel()
	// The change runs to its end even when the run is interrupted (within
	// CleanupTimeout): a chpasswd left running on the guest could set the
	// new password after the old one was put back, silently.
	err = chpasswd(cctx, c, g.User, p.NewPassword.Bytes())
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	if err != nil {
		// Refused, or cut off: put the old password back (a no-op when
		// it never changed) and prove it.
		stage := "change"
		if ctx.Err() != nil {
			stage = "interrupted"
		}
		res.Stage, res.Err = stage, cause(ctx, err)
		restoreGuest(cctx, p, g, c, oldPW, &res)
		return res, ""
	}
	nc, err := p.Prober.Dial(ctx, preflight.GuestTarget(g, p.GuestPort, p.NewPassword))
	if err != nil {
		res.Stage, res.Err = "new-login", cause(ctx, err)
		if ctx.Err() != nil {
			res.Stage = "interrupted"
		}
		restoreGuest(cctx, p, g, c, oldPW, &res)
		return res, ""
	}
	nc.Close()
	res.State, res.Proven = Rotated, "new password"
	return res, token
}

// chpasswd sets user's password through c: `chpasswd` (through sudo -n
// for a non-root user) with "USER:PASSWORD" on stdin, never in argv.
func chpasswd(ctx context.Context, c *sshcheck.Client, user string, pw []byte) error {
	in := make([]byte, 0, len(user)+len(pw)+2)
	in = append(append(append(append(in, user...), ':'), pw...), '\n')
	defer clear(in)
	_, stderr, status, err := c.RunInput(ctx, in, "chpasswd")
	if err != nil {
		return err
	}
	if status != 0 {
		return fmt.Errorf("%w: chpasswd exit %d: %s", ErrChpasswd, status, sshcheck.QuoteRemote(stderr))
	}
	return nil
}

// restoreGuest puts oldPW back on the guest and proves it by a login with
// it. c is the session logged in with the old password; when it is gone,
// a login with the new password is tried. The result becomes Kept, or
// Mismatch when the old password cannot be proven.
func restoreGuest(ctx context.Context, p Plan, g kvmguests.Guest, c *sshcheck.Client, oldPW []byte, res *GuestResult) {
	err := errors.New("no session")
	if c != nil {
		err = chpasswd(ctx, c, g.User, oldPW)
	}
	if err != nil {
		nc, derr := p.Prober.Dial(ctx, preflight.GuestTarget(g, p.GuestPort, p.NewPassword))
		if derr == nil {
			err = chpasswd(ctx, nc, g.User, oldPW)
			nc.Close()
		}
	}
	pc, perr := p.Prober.Dial(ctx, preflight.GuestTarget(g, p.GuestPort, cipher.NewSecret(oldPW)))
	if perr == nil {
		pc.Close()
		res.State, res.Proven = Kept, "old password"
		return
	}
	res.State = Mismatch
	if err == nil {
		err = perr
	}
	res.Detail = fmt.Sprintf("%v: %v; the files hold %s (the old password); the guest's password may be the new one: log in to the guest and set it with passwd, then sfkvm probe", ErrRestore, err, res.OldToken)
}

// restoreAll puts the old password back on every changed guest.
func restoreAll(ctx context.Context, p Plan, guests []kvmguests.Guest, res []GuestResult, changed []int, stage string, why error) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, p.Parallel)
	for _, i := range changed {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			r := &res[i]
			r.Stage, r.Err, r.Proven = stage, why, ""
			src := p.OldPassword(guests[i])
			oldPW, err := src.Password(ctx)
			if err != nil {
				r.State, r.Detail = Mismatch, fmt.Sprintf("%v: the current password cannot be read again: %v", ErrRestore, err)
				return
			}
			defer clear(oldPW)
			restoreGuest(ctx, p, guests[i], nil, oldPW, r)
		})
	}
	wg.Wait()
}

// readHosts reads back every copy: this host's first, then the others.
// A copy is "new" when its hash is newHash, "old" when oldHash.
func readHosts(ctx context.Context, p Plan, oldHash, newHash string) []HostResult {
	out := make([]HostResult, 1+len(p.Hosts))
	classify := func(h *HostResult) {
		switch {
		case h.Err != nil && errors.Is(h.Err, errNoFile):
			h.Holds, h.Err = "none", fmt.Errorf("%s: %w", h.File, errNoFile)
		case h.Err != nil:
			h.Holds = "unknown"
		case h.Hash == newHash && newHash != "":
			h.Holds = "new"
		case h.Hash == oldHash && oldHash != "":
			h.Holds = "old"
		default:
			h.Holds = "other"
		}
	}
	out[0] = HostResult{Host: LocalHost, File: p.File}
	if c, err := kvmguests.ReadCopy(p.File); err != nil {
		out[0].Err = err
	} else {
		out[0].Hash = hashOf(c.Data)
	}
	classify(&out[0])
	forHosts(ctx, p, func(ctx context.Context, i int, r HostRunner) error {
		h, err := hashHost(ctx, r, p.Hosts[i].File)
		out[i+1].Hash = h
		return err
	}, func(i int, err error) {
		out[i+1].Host, out[i+1].File, out[i+1].Err = p.Hosts[i].Name, p.Hosts[i].File, err
		classify(&out[i+1])
	})
	return out
}

func writeHosts(ctx context.Context, p Plan, data []byte) []error {
	all := make([]bool, len(p.Hosts))
	for i := range all {
		all[i] = true
	}
	return writeHostsIf(ctx, p, data, all)
}

// writeHostsIf replaces the copies of the hosts marked todo.
func writeHostsIf(ctx context.Context, p Plan, data []byte, todo []bool) []error {
	errs := make([]error, len(p.Hosts))
	forHosts(ctx, p, func(ctx context.Context, i int, r HostRunner) error {
		if !todo[i] {
			return nil
		}
		return writeHost(ctx, r, p.Hosts[i].File, bytes.Clone(data))
	}, func(i int, err error) { errs[i] = err })
	return errs
}

// forHosts connects to each host, at most Parallel at once, runs f, and
// reports each outcome to done.
func forHosts(ctx context.Context, p Plan, f func(context.Context, int, HostRunner) error, done func(int, error)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, p.Parallel)
	for i, h := range p.Hosts {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var err error
			if err = ctx.Err(); err == nil {
				var r HostRunner
				if r, err = p.Connect(ctx, h.Name); err == nil {
					err = f(ctx, i, r)
					r.Close()
				}
			}
			done(i, cause(ctx, err))
		})
	}
	wg.Wait()
}
