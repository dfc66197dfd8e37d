package preflight

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sync"

	"github.com/sfkvm/sfkvm/diag"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/sshcheck"
)

func init() {
	ConfSyntax.run = runConfSyntax
	ConfVendor.run = runConfVendor
	ConfMode.run = runConfMode
	ConfCopies.run = runConfCopies
	ConfChanged.run = runConfChanged
	GuestHostKey.run = guestCheck(GuestHostKey.ID)
	GuestLogin.run = guestCheck(GuestLogin.ID)
	GuestSudo.run = guestCheck(GuestSudo.ID)
	GuestPasswordAge.run = guestCheck(GuestPasswordAge.ID)
	GuestNames.run = guestCheck(GuestNames.ID)
	GuestKnowsHost.run = guestCheck(GuestKnowsHost.ID)
	HostCFName.run = hereCheck(HostCFName.ID)
	HostUnlisted.run = hereCheck(HostUnlisted.ID)
	GuestSetUp.run = hereCheck(GuestSetUp.ID)
	GuestReadsHost.run = hereCheck(GuestReadsHost.ID)
	FacilityReady.run = runFacility
	HostRegistered.run = runRegistered
	HostWeightLink.run = runWeightLink
}

// pass is one run's shared state. What several checks need (the file, a
// guest's login, the domains running here) is computed once, by the first
// check that asks.
type pass struct {
	cfg    Config
	prober *sshcheck.Prober
	// proberErr: no prober could be made; every SSH check fails with it.
	proberErr error
	sem       chan struct{} // bounds the targets worked on at once

	conf       *kvmguests.Config // nil when unreadable or cfg.Guests given
	confErr    error
	confDiags  diag.Diagnostics
	guests     []kvmguests.Guest
	confSum    string // the file's SHA-256 in hex; "" when it cannot be read
	confSumErr error

	info    migratesetup.HostInfo // this host's registration
	infoErr error

	sessions []guestSession

	hereOnce    sync.Once
	hereResults []Result

	runningOnce sync.Once
	runningSet  map[string]bool // domains running here, by name
	runningErr  error
}

// running returns the domains that run on this host, listed once per run:
// checkHere reports on them, and a guest's session reads the host
// information disk of those among them. Without a store none runs here.
func (p *pass) running(ctx context.Context) (map[string]bool, error) {
	p.runningOnce.Do(func() {
		if p.cfg.Store != nil {
			p.runningSet, p.runningErr = runningDomains(ctx, p.cfg.Store)
		}
	})
	return p.runningSet, p.runningErr
}

// guestSession is one guest's logins, shared by the guest.* checks.
type guestSession struct {
	once    sync.Once
	results []Result
}

// Run runs every check and returns one result per check and target. It
// never stops at a failure; it returns when every check is done or ctx
// ends (then the checks still running report the context's error).
func Run(ctx context.Context, cfg Config) Report {
	cfg = cfg.withDefaults()
	started := cfg.Now()
	p := newPass(ctx, cfg)
	out := make([][]Result, len(Checks))
	var wg sync.WaitGroup
	for i, c := range Checks {
		wg.Go(func() {
			rs := c.run(ctx, p)
			for j := range rs {
				rs[j].Check, rs[j].Step, rs[j].Title = c.ID, c.Step, c.Title
			}
			slices.SortStableFunc(rs, func(a, b Result) int { return a.index - b.index })
			out[i] = rs
		})
	}
	wg.Wait()
	rep := newReport(slices.Concat(out...))
	rep.Started, rep.Finished, rep.ConfSHA256 = started, cfg.Now(), p.confSum
	return rep
}

func newPass(ctx context.Context, cfg Config) *pass {
	p := &pass{cfg: cfg, prober: cfg.Prober, sem: make(chan struct{}, cfg.Parallel)}
	if p.prober == nil {
		p.prober, p.proberErr = sshcheck.New(cfg.ProberOptions)
	}
	if cfg.Guests != nil {
		p.guests = cfg.Guests
	} else {
		p.conf, p.confDiags, p.confErr = kvmguests.ReadFile(cfg.File, cfg.FileOptions)
		if p.conf != nil {
			p.guests = p.conf.Guests()
		}
		// The bytes as read a second time, bounded as compare reads them:
		// an edit between the two reads shows in the next run.
		if c, err := kvmguests.ReadCopy(cfg.File); err == nil {
			sum := sha256.Sum256(c.Data)
			p.confSum = hex.EncodeToString(sum[:])
		} else {
			p.confSumErr = err
		}
	}
	p.sessions = make([]guestSession, len(p.guests))
	p.info, p.infoErr = migratesetup.ReadFile(ctx, cfg.HostInfo)
	return p
}

// each runs f for every index below n, at most cfg.Parallel at once, and
// returns every result.
func (p *pass) each(n int, f func(i int) []Result) []Result {
	return fanOut(n, func(i int) []Result {
		p.sem <- struct{}{}
		defer func() { <-p.sem }()
		return f(i)
	})
}

// fanOut runs f for every index below n at once. Only for f that waits on
// work bounded elsewhere (a guest's session takes its own slot).
func fanOut(n int, f func(i int) []Result) []Result {
	out := make([][]Result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { out[i] = f(i) })
	}
	wg.Wait()
	return slices.Concat(out...)
}

// only returns the results of one check.
func only(id ID, rs []Result) []Result {
	var out []Result
	for _, r := range rs {
		if r.Check == id {
			out = append(out, r)
		}
	}
	return out
}

// fromFile reports whether the guests come from a file (so the file's
// checks apply), and why not.
func (p *pass) fromFile() (bool, string) {
	if p.cfg.Guests != nil {
		return false, "guests given by the caller, not read from a file"
	}
	return true, ""
}
