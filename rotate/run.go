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
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/conflock"
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

// Errors of a host's copy, before any guest changed (Run) or before it is
// written (Retry); test with errors.Is.
var (
	// ErrLocked: another sfkvm run holds the lock of a copy (on this
	// host or another): the error names it.
	ErrLocked = conflock.ErrLocked
	// ErrNotPrevious (Retry): a host's copy is neither the file before
	// the rotation nor the new one; HostResult.Diff shows the difference.
	ErrNotPrevious = errors.New("rotate: the copy is neither the file before the rotation nor this host's file")
	// ErrNoGuests (Retry): this host's file holds no guest; copying it
	// would empty every host's.
	ErrNoGuests = errors.New("rotate: this host's file holds no guest")
	// ErrHostNotReached: another host could not be reached (a host key
	// unknown or changed, a connection refused): the error says which
	// and why.
	ErrHostNotReached = errors.New("rotate: another host was not reached")
)

// beforeLocalWrite is a seam for tests: it runs after every guest and
// before this host's file is written.
var beforeLocalWrite = func() {}

// Run rotates the password of the plan's guests and replaces
// kvmguests.conf on this host and every other host. See the package
// documentation for the order and what each failure leaves.
func Run(ctx context.Context, p Plan) (rep Report) {
	p = p.withDefaults()
	rep = Report{DryRun: p.DryRun, File: p.File}
	if err := p.check(); err != nil {
		rep.Err = err
		return rep
	}
	if err := cipher.CheckPassword(p.NewPassword.Bytes()); err != nil {
		rep.Err = err
		return rep
	}
	defer func() { rep.redact(p.NewPassword.Bytes()) }()

	// The lock of every copy, this host's first, before anything is read:
	// a second run waits for nothing and is refused, naming this one.
	owner, err := conflock.NewOwner("rotate", p.lease(ctx))
	if err != nil {
		rep.Err = err
		return rep
	}
	defer owner.End()
	if !p.DryRun {
		if err := conflock.Acquire(ctx, p.File, owner); err != nil {
			rep.Err = fmt.Errorf("rotate: %w", err)
			return rep
		}
	}
	var held []bool // the hosts whose lock this run took
	defer func() {
		if !p.DryRun {
			rep.Notes = append(rep.Notes, releaseAll(ctx, p, owner, held)...)
		}
	}()
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

	// Every other host must hold this host's file, and be ready for the
	// write, before anything changes: a host that differs was edited
	// apart (overwriting it would lose that), and a host that cannot be
	// reached or written now is found before any guest's password
	// changes. Its lock is taken at the same time (checked only, in a dry
	// run).
	mode := "lock"
	if p.DryRun {
		mode = "check"
	}
	rep.Hosts, held = acquireHosts(ctx, p, owner, mode, rep.OldHash)
	if err := ctx.Err(); err != nil {
		rep.Err = fmt.Errorf("rotate: stopped before any guest changed: %w", cause(ctx, err))
		return rep
	}
	if err := hostsReady(rep.Hosts[1:]); err != nil {
		rep.Err = err
		return rep
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
	beforeLocalWrite()
	data, err := kvmguests.Marshal(cfg, p.File, p.FileOptions)
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	if err == nil {
		// Only over the file this run read, under its lock.
		err = conflock.Replace(ctx, p.File, owner, data, rep.OldHash)
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
	todo := make([]bool, len(p.Hosts))
	for i := range todo {
		todo[i] = true
	}
	wrote := writeHostsIf(cctx, p, data, owner.Run, todo, func(int) []string { return []string{rep.OldHash} })
	rep.Hosts = readHosts(cctx, p, rep.OldHash, rep.NewHash)
	markWrites(rep.Hosts, todo, wrote)
	rep.Hosts[0].Wrote = true
	if rep.setResume(p, rep.OldHash) {
		for _, i := range changed {
			g := &rep.Guests[i]
			g.Detail = fmt.Sprintf("the new password is on the guest; %s still hold %s", strings.Join(rep.behind(), ", "), g.OldToken)
		}
	}
	return rep
}

// Retry finishes a run that replaced this host's file and not every other
// host's: each host whose copy is the file before the rotation
// (Plan.Previous, or when that is "" a copy that differs from this host's
// file in guest_passwd fields only) gets this host's file; a copy that is
// anything else is refused with the difference shown. Every copy is read
// back. The guests are not touched. This host's file must parse without
// errors and hold a guest.
func Retry(ctx context.Context, p Plan) (rep Report) {
	p = p.withDefaults()
	rep = Report{File: p.File}
	if err := p.checkHosts(); err != nil {
		rep.Err = err
		return rep
	}
	owner, err := conflock.NewOwner("rotate --resume", p.lease(ctx))
	if err != nil {
		rep.Err = err
		return rep
	}
	defer owner.End()
	if err := conflock.Acquire(ctx, p.File, owner); err != nil {
		rep.Err = fmt.Errorf("rotate: %w", err)
		return rep
	}
	var held []bool
	defer func() { rep.Notes = append(rep.Notes, releaseAll(ctx, p, owner, held)...) }()
	cur, err := kvmguests.ReadCopy(p.File)
	if err != nil {
		rep.Err = err
		return rep
	}
	cfg, diags := kvmguests.ParseBytes(cur.Data, p.File, p.FileOptions)
	if err := diags.Err(); err != nil {
		rep.Err = fmt.Errorf("rotate: this host's file is copied to every host and must be right first: %w", err)
		return rep
	}
	if len(cfg.Guests()) == 0 {
		rep.Err = fmt.Errorf("%w (%s): nothing is copied", ErrNoGuests, p.File)
		return rep
	}
	rep.NewHash = hashOf(cur.Data)
	before, held := acquireHosts(ctx, p, owner, "lock", p.Previous)
	todo := make([]bool, len(p.Hosts))
	for i := range p.Hosts {
		h := &before[i+1]
		switch {
		case h.Err != nil || h.Hash == rep.NewHash:
		case p.Previous != "" && h.Hash == p.Previous:
			todo[i] = true
		case p.Previous != "":
			h.Err = fmt.Errorf("%w: it is not the file before the rotation (sha256 %.12s): %s", ErrNotPrevious, p.Previous, p.Hosts[i].File)
			h.Diff = diffHost(ctx, p, i, cur)
		default:
			if d, ok := tokensOnly(ctx, p, i, cur); ok {
				todo[i] = true
			} else {
				h.Err = fmt.Errorf("%w: it differs from this host's file in more than guest_passwd fields: %s", ErrNotPrevious, p.Hosts[i].File)
				h.Diff = d
			}
		}
	}
	expect := func(i int) []string { return []string{before[i+1].Hash} }
	wrote := writeHostsIf(ctx, p, cur.Data, owner.Run, todo, expect)
	cctx, cancel := cleanupContext(ctx, p)
	defer cancel()
	rep.Hosts = readHosts(cctx, p, p.Previous, rep.NewHash)
	markWrites(rep.Hosts, todo, wrote)
	for i := range p.Hosts {
		h := &rep.Hosts[i+1]
		if b := before[i+1]; b.Err != nil && !todo[i] {
			h.Err, h.Diff = b.Err, b.Diff
		}
	}
	rep.setResume(p, p.Previous)
	return rep
}

// check refuses a plan that cannot run.
func (p Plan) check() error {
	if p.Prober == nil || p.OldPassword == nil || p.Encrypter == nil {
		return fmt.Errorf("%w: Prober, OldPassword and Encrypter are needed", ErrPlan)
	}
	return p.checkHosts()
}

func (p Plan) checkHosts() error {
	if len(p.Hosts) > 0 && p.Connect == nil {
		return fmt.Errorf("%w: Hosts without Connect", ErrPlan)
	}
	for _, h := range p.Hosts {
		if !filepath.IsAbs(h.File) {
			return fmt.Errorf("%w: host %s: %q is not an absolute path", ErrPlan, h.Name, h.File)
		}
	}
	return nil
}

// lease is how long the run's locks stay valid if it crashes.
func (p Plan) lease(ctx context.Context) time.Duration {
	if p.LockLease > 0 {
		return p.LockLease
	}
	if dl, ok := ctx.Deadline(); ok {
		return time.Until(dl) + p.CleanupTimeout + time.Minute
	}
	return DefaultLockLease
}

// hostsReady says what keeps the other hosts from being written, each
// cause by its name: not reached (a host key unknown or changed), not
// ready, locked, or a copy edited apart.
func hostsReady(hosts []HostResult) error {
	for _, h := range hosts {
		switch {
		case h.Err != nil && errors.Is(h.Err, errNoFile):
			return fmt.Errorf("%w: %s has no copy at %s; copy this host's file there first, or leave the host out", ErrCopiesDiffer, h.Host, h.File)
		case h.Err != nil && (errors.Is(h.Err, conflock.ErrLocked) || errors.Is(h.Err, ErrHostNotReady)):
			return fmt.Errorf("rotate: %s: %w%s", h.Host, h.Err, hostHint(h.Err))
		case h.Err != nil:
			return fmt.Errorf("%w: %s: %w%s", ErrHostNotReached, h.Host, h.Err, hostHint(h.Err))
		case h.Holds != "old":
			return fmt.Errorf("%w: %s (%s); make the copies identical first (sfkvm preflight shows the difference), or leave the host out", ErrCopiesDiffer, h.Host, h.Holds)
		}
	}
	return nil
}

// hostHint says what to do about a host that could not be used.
func hostHint(err error) string {
	switch {
	case errors.Is(err, sshcheck.ErrHostKeyUnknown):
		return "; its host key is not known: check the fingerprint with the host's administrator and add it to root's known_hosts (or --known-hosts), e.g. by ssh once; nothing was changed"
	case errors.Is(err, sshcheck.ErrHostKeyChanged), errors.Is(err, sshcheck.ErrHostKeyRevoked):
		return "; its host key is not the one known_hosts holds: find out why before anything else (a reinstalled host: ssh-keygen -R HOST, then check and add the new key); nothing was changed"
	case errors.Is(err, conflock.ErrLocked):
		return "; nothing was changed"
	case errors.Is(err, ErrHostNotReady):
		return "; fix that host first; nothing was changed"
	}
	return "; nothing was changed"
}

// markWrites records which hosts this run wrote, and why one was not.
func markWrites(hosts []HostResult, todo []bool, wrote []error) {
	for i := range todo {
		h := &hosts[i+1]
		h.Wrote = todo[i] && wrote[i] == nil
		if h.Err == nil && todo[i] && wrote[i] != nil {
			h.Err = wrote[i]
		}
	}
}

// setResume sets the command that finishes the job when some other host
// does not hold the new file, and reports whether one is needed. This
// host never appears in it: Retry copies this host's file.
func (r *Report) setResume(p Plan, previous string) bool {
	var args []string
	for i, h := range r.Hosts[1:] {
		if h.Holds == "new" {
			continue
		}
		a := p.Hosts[i].Name
		if p.Hosts[i].File != p.File {
			a += "=" + p.Hosts[i].File
		}
		args = append(args, a)
	}
	if len(args) == 0 {
		return r.Hosts[0].Holds != "new"
	}
	words := []string{"--hosts", strings.Join(args, ",")}
	if previous != "" {
		words = append(words, "--previous-sha256", previous)
	}
	line, err := sshcheck.QuoteCommand(words[0], words[1:]...)
	if err != nil { // a NUL in a host name: refused by the CLI before
		line = strings.Join(words, " ")
	}
	r.Resume = p.ResumeCommand + " " + line
	return true
}

// behind names the hosts that do not hold the new file.
func (r Report) behind() []string {
	var out []string
	for _, h := range r.Hosts {
		if h.Holds != "new" {
			out = append(out, h.Host)
		}
	}
	return out
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
func rotateGuest(ctx context.Context, p Plan, g kvmguests.Guest) (out GuestResult, token string) {
	res := GuestResult{Guest: g.Name, Address: g.IP.String(), User: g.User, State: Kept,
		OldToken: Fingerprint(g.Password.Reveal())}
	fail := func(stage string, err error) (GuestResult, string) {
		if ctx.Err() != nil {
			stage = "interrupted"
		}
		res.Stage, res.Err = stage, cause(ctx, err)
		return res, ""
	}
	var err error
	token, err = p.Encrypter(g).Encrypt(ctx, p.NewPassword.Bytes())
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
	if p.DryRun {
		if err := c.CheckSudo(ctx); err != nil {
			return fail("sudo", err)
		}
		res.State, res.Proven = WouldRotate, "old password"
		return res, ""
	}
	oldPW, err := oldSrc.Password(ctx)
	if err != nil {
		return fail("login", err)
	}
	defer clear(oldPW)
	// The old password is a secret too: no remote text keeps it.
	defer func() { out.Err, out.Detail = scrubErr(out.Err, oldPW), scrubText(out.Detail, oldPW) }()

	cctx, cancel := cleanupContext(ctx, p)
	defer cancel()
	// The change runs to its end even when the run is interrupted (within
	// CleanupTimeout): a chpasswd left running on the guest could set the
	// new password after the old one was put back, silently.
	// No `sudo -n true` first: chpasswd goes through `sudo -n --`, and a
	// refusal of sudo's own means it never started (one command on the
	// guest instead of two; a shell, a sudo and its PAM session fewer).
	err = chpasswd(cctx, c, g.User, p.NewPassword.Bytes())
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	var refused *sshcheck.Error
	if errors.As(err, &refused) && refused.Stage == sshcheck.StageSudo {
		return fail("sudo", err)
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
		return scrubErr(err, in[:len(in)-1], pw)
	}
	// A chpasswd (or a PAM module, or a hostile sudo) that echoes its
	// input must not put the password into the report.
	stderr = scrub(stderr, in[:len(in)-1], pw)
	if err := c.SudoRefusal("LC_ALL=C sudo -n -- chpasswd", status, stderr); err != nil {
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
			r.Err, r.Detail = scrubErr(r.Err, oldPW), scrubText(r.Detail, oldPW)
		})
	}
	wg.Wait()
}

// readHosts reads back every copy: this host's first, then the others.
// A copy is "new" when its hash is newHash, "old" when oldHash.
func readHosts(ctx context.Context, p Plan, oldHash, newHash string) []HostResult {
	return eachHost(ctx, p, oldHash, newHash, func(ctx context.Context, i int, r HostRunner) (string, error) {
		return hashHost(ctx, r, p.Hosts[i].File)
	})
}

// eachHost gives every copy's hash and what it holds: this host's as read
// here, the others' as read by hash.
func eachHost(ctx context.Context, p Plan, oldHash, newHash string, hash func(context.Context, int, HostRunner) (string, error)) []HostResult {
	out := make([]HostResult, 1+len(p.Hosts))
	out[0] = HostResult{Host: LocalHost, File: p.File}
	if c, err := kvmguests.ReadCopy(p.File); err != nil {
		out[0].Err = err
	} else {
		out[0].Hash = hashOf(c.Data)
	}
	out[0].classify(oldHash, newHash)
	forHosts(ctx, p, func(ctx context.Context, i int, r HostRunner) error {
		h, err := hash(ctx, i, r)
		out[i+1].Hash = h
		return err
	}, func(i int, err error) {
		out[i+1].Host, out[i+1].File, out[i+1].Err = p.Hosts[i].Name, p.Hosts[i].File, err
		out[i+1].classify(oldHash, newHash)
	})
	return out
}

// classify sets Holds from Hash and Err.
func (h *HostResult) classify(oldHash, newHash string) {
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

// writeHostsIf replaces the copies of the hosts marked todo, under the
// lock of run, each only over what expect(i) gives.
func writeHostsIf(ctx context.Context, p Plan, data []byte, run string, todo []bool, expect func(int) []string) []error {
	errs := make([]error, len(p.Hosts))
	forHosts(ctx, p, func(ctx context.Context, i int, r HostRunner) error {
		if !todo[i] {
			return nil
		}
		return writeHost(ctx, r, p.Hosts[i].File, bytes.Clone(data), run, expect(i)...)
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
					hctx, cancel := context.WithTimeout(ctx, p.HostTimeout)
					err = f(hctx, i, r)
					cancel()
					r.Close()
				}
			}
			done(i, cause(ctx, err))
		})
	}
	wg.Wait()
}
