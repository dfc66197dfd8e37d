package preflight

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/sdfacility"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// guestCheck is the run of a check on every guest (guest.hostkey,
// guest.login, guest.sudo, guest.names, guest.knowshost): all of them come
// from one session per guest, made once, by the first check that asks.
func guestCheck(id ID) func(context.Context, *pass) []Result {
	return func(ctx context.Context, p *pass) []Result {
		if p.conf == nil && p.cfg.Guests == nil {
			if id != GuestHostKey.ID {
				return nil
			}
			return []Result{{Target: p.cfg.File, Status: Skip, Reason: "no readable kvmguests.conf, so no guests to check"}}
		}
		if p.cfg.Guest != "" && !slices.ContainsFunc(p.guests, func(g kvmguests.Guest) bool { return g.Name == p.cfg.Guest }) {
			if id != GuestHostKey.ID {
				return nil
			}
			return []Result{{Target: p.cfg.Guest, Status: Fail, Reason: "no line of " + p.cfg.File + " names this guest",
				Fix: "enroll it (sfkvm enroll), or name a guest of the file"}}
		}
		return fanOut(len(p.guests), func(i int) []Result {
			if !p.wanted(i) {
				return nil
			}
			return only(id, p.session(ctx, i).results)
		})
	}
}

// wanted reports whether guest i is checked: every guest, or the one
// Config.Guest names.
func (p *pass) wanted(i int) bool {
	return p.cfg.Guest == "" || p.guests[i].Name == p.cfg.Guest
}

// session returns guest i's session, made by the first check that asks.
func (p *pass) session(ctx context.Context, i int) *guestSession {
	s := &p.sessions[i]
	s.once.Do(func() {
		p.sem <- struct{}{}
		defer func() { <-p.sem }()
		s.results = p.checkGuest(ctx, i, p.guests[i])
	})
	return s
}

// stepFiveHosts are the hosts every guest must know (step 5): this host's
// registered address, then the other hosts.
func (p *pass) stepFiveHosts() []string {
	var hosts []string
	if p.infoErr == nil {
		hosts = append(hosts, p.info.IP.String())
	}
	for _, h := range p.cfg.Hosts {
		hosts = append(hosts, h.Address)
	}
	return hosts
}

// checkGuest: steps 1.5 (host key, login), 1.2 (sudo), 1.1 (the guest's own
// cftool agrees with the file) and 5 (the guest knows every host's key) for
// one guest, logging in the way PRIMECLUSTER will.
func (p *pass) checkGuest(ctx context.Context, i int, g kvmguests.Guest) []Result {
	hosts := p.stepFiveHosts()
	mk := func(id ID) Result {
		return Result{Check: id, Target: g.Name + " " + g.IP.String(), index: i}
	}
	hostKey, login, sudo, names := mk(GuestHostKey.ID), mk(GuestLogin.ID), mk(GuestSudo.ID), mk(GuestNames.ID)
	age := mk(GuestPasswordAge.ID)
	knows := func(h string) Result {
		r := mk(GuestKnowsHost.ID)
		r.Target = g.Name + " -> " + h
		return r
	}
	skipRest := func(why string, rs ...*Result) {
		for _, r := range rs {
			r.Status, r.Reason = Skip, why
		}
	}
	stepFive := func(why string) []Result {
		if len(hosts) == 0 {
			r := knows("(hosts)")
			r.Status, r.Reason = Skip, "no host address known: register this host (step 2) or name the other hosts"
			return []Result{r}
		}
		var rs []Result
		for _, h := range hosts {
			r := knows(h)
			r.Status, r.Reason = Skip, why
			rs = append(rs, r)
		}
		return rs
	}
	stop := func(why string) []Result {
		return append([]Result{hostKey, login, sudo, age, names}, stepFive(why)...)
	}
	if p.proberErr != nil {
		hostKey.Status, hostKey.Reason, hostKey.Err = Fail, p.proberErr.Error(), p.proberErr
		skipRest("no SSH client", &login, &sudo, &age, &names)
		return stop("no SSH client")
	}

	var pw sshcheck.PasswordSource
	if p.cfg.Password != nil {
		pw = p.cfg.Password(g)
	}
	t := GuestTarget(g, p.cfg.GuestPort, pw)
	res, c := p.prober.Open(ctx, t) // one login serves every check below
	if c != nil {
		defer c.Close()
	}
	var se *sshcheck.Error
	errors.As(res.Err, &se)
	switch {
	case errors.Is(res.Err, sshcheck.ErrHostKeyUnknown), errors.Is(res.Err, sshcheck.ErrHostKeyChanged), errors.Is(res.Err, sshcheck.ErrHostKeyRevoked):
		hostKey.Status, hostKey.Reason, hostKey.Fix, hostKey.Err = Fail, reasonOf(res.Err), ProbeFix(res, g), res.Err
		skipRest("the host key check failed", &login, &sudo, &age, &names)
		return stop("the host key check failed")
	case errors.Is(res.Err, sshcheck.ErrPasswordSource):
		// The password could not be had (a vendor token with a key, the
		// wrong key): no connection was made, so nothing is known of the
		// host key either.
		hostKey.Status, hostKey.Reason = Skip, "not tried: no password to log in with"
		login.Status, login.Reason, login.Err = Fail, "the password cannot be read: "+errorText(se.Err), res.Err
		switch {
		case errors.Is(se.Err, cipher.ErrTokenAltered):
			login.Fix = "the token was sealed for another guest (moved from another line?) or altered; seal this guest's password again: " + ResealCommand(g)
		case errors.Is(se.Err, cipher.ErrUnboundToken):
			login.Fix = "seal this guest's password again, bound to it: " + ResealCommand(g) + "; or allow version-1 tokens (--allow-v1-tokens: each such token is then reported)"
		default:
			login.Fix = "--key opens only sfkvm sealed tokens made with that key; for sfcipher tokens give --password-stdin"
		}
		skipRest("no login", &sudo, &age, &names)
		return stop("no login")
	case res.Fingerprint == "":
		// No host key was seen: the guest did not get that far.
		hostKey.Status, hostKey.Reason, hostKey.Err = Fail, "cannot reach the guest: "+reasonOf(res.Err), res.Err
		hostKey.Fix = fmt.Sprintf("check that %s runs and that its sshd listens at %s port %d, reachable from this host", g.Name, g.IP, p.cfg.GuestPort)
		skipRest("the guest cannot be reached", &login, &sudo, &age, &names)
		return stop("the guest cannot be reached")
	}
	hostKey.Status, hostKey.Reason = OK, res.Fingerprint
	if res.Trusted {
		hostKey.Reason += " (recorded now)"
	}
	if t.Password == nil {
		why := "no password to log in with: give --key (sealed tokens) or --password-stdin"
		skipRest(why, &login, &sudo, &age, &names)
		return stop(why)
	}
	switch {
	case errors.Is(res.Err, sshcheck.ErrSudoNeedsPassword), errors.Is(res.Err, sshcheck.ErrSudoNeedsTTY), errors.Is(res.Err, sshcheck.ErrSudoFailed):
		login.Status, login.Reason = OK, "as "+g.User
		sudo.Status, sudo.Reason, sudo.Fix, sudo.Err = Fail, reasonOf(res.Err), ProbeFix(res, g), res.Err
		skipRest("sudo does not work, so commands cannot run as root", &age, &names)
		return stop("sudo does not work on the guest")
	case res.Err != nil:
		login.Status, login.Reason, login.Fix, login.Err = Fail, reasonOf(res.Err), ProbeFix(res, g), res.Err
		skipRest("the login failed", &sudo, &age, &names)
		return stop("the login failed")
	}
	login.Status, login.Reason = OK, "as "+g.User
	if t.IsRoot() {
		sudo.Status, sudo.Reason = OK, "root needs no sudo"
	} else {
		sudo.Status, sudo.Reason = OK, "sudo -n true works"
	}

	age = p.checkPasswordAge(ctx, c, g, age)
	names = p.checkNames(ctx, c, g, names)
	out := []Result{hostKey, login, sudo, age, names}
	// guest.readshost, for a guest that runs here, on this same login
	// (checkHere takes it from the session).
	if running, _ := p.running(ctx); running[g.Name] && p.infoErr == nil {
		out = append(out, p.readDisk(ctx, c, i, g))
	}
	if len(hosts) == 0 {
		return append(out, stepFive("")...)
	}
	for _, h := range hosts {
		r := knows(h)
		file, err := sshcheck.GuestKnowsHost(ctx, c, h, 0)
		switch {
		case err != nil:
			r.Status, r.Reason, r.Err = Fail, err.Error(), err
		case file == "":
			r.Status = Fail
			r.Reason = "root on the guest has no host key for " + h + " in its own known_hosts"
			r.Fix = fmt.Sprintf("on %s as root: ssh %s once and answer yes (manual step 5)", g.Name, h)
		default:
			r.Status, r.Reason = OK, "in the guest's own "+file
		}
		out = append(out, r)
	}
	return out
}

// checkNames: the guest's cftool -c and cftool -l agree with
// guest-clustername and guest-cfname.
func (p *pass) checkNames(ctx context.Context, c sdfacility.Runner, g kvmguests.Guest, r Result) Result {
	tool := sdfacility.CFTool{Runner: c, Path: p.cfg.GuestCFTool}
	cluster, err := tool.ClusterName(ctx)
	if err != nil {
		r.Status, r.Reason, r.Err = Fail, "cftool -c on the guest: "+err.Error(), err
		return r
	}
	node, err := tool.LocalNodeName(ctx)
	if err != nil {
		r.Status, r.Reason, r.Err = Fail, "cftool -l on the guest: "+err.Error(), err
		return r
	}
	if cluster != g.ClusterName || node != g.CFName {
		r.Status = Fail
		r.Reason = fmt.Sprintf("the guest says %s/%s, kvmguests.conf says %s/%s", cluster, node, g.ClusterName, g.CFName)
		r.Fix = fmt.Sprintf("set guest-clustername %s and guest-cfname %s for %s on every host's copy", cluster, node, g.Name)
		return r
	}
	r.Status, r.Reason = OK, cluster+"/"+node
	return r
}

func errorText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

// reasonOf is the probe's error without the address, which the result's
// target shows: its kind, its stage, and what came with it.
func reasonOf(err error) string {
	var se *sshcheck.Error
	if errors.As(err, &se) && se.Kind != nil {
		return se.Kind.Error() + " (" + string(se.Stage) + ")" + detailOf(se)
	}
	return err.Error()
}

// detailOf is what an *sshcheck.Error carries beyond its kind: the two
// keys, the command's stderr, or the underlying error (a refused
// keyboard-interactive prompt, quoted), escaped as Error escapes it.
func detailOf(se *sshcheck.Error) string {
	switch {
	case se.KnownFingerprint != "":
		return ": now " + se.Fingerprint + ", known " + se.KnownFingerprint + " at " + se.KnownAt
	case se.Stderr != "":
		return ": " + se.Stderr
	case se.Err != nil && !isHostKeyKind(se.Kind):
		// An Error that holds only Err prints it escaped and cut after
		// what an empty one prints: the safe text of the underlying error.
		bare, empty := sshcheck.Error{Err: se.Err}, sshcheck.Error{}
		return strings.TrimPrefix(bare.Error(), empty.Error())
	}
	return ""
}

// isHostKeyKind: the host key failures, whose underlying error only
// repeats the kind.
func isHostKeyKind(k error) bool {
	return k == sshcheck.ErrHostKeyUnknown || k == sshcheck.ErrHostKeyChanged || k == sshcheck.ErrHostKeyRevoked
}

// ProbeFix says what to do about a failed probe of guest g: the fix that
// the guest.* results show (the demo's first login prints it too).
func ProbeFix(res sshcheck.Result, g kvmguests.Guest) string {
	switch {
	case errors.Is(res.Err, sshcheck.ErrHostKeyUnknown):
		return fmt.Sprintf("as root: sfkvm probe --trust (or ssh -l %s %s once and answer yes)", g.User, g.IP)
	case errors.Is(res.Err, sshcheck.ErrSudoNeedsPassword):
		return fmt.Sprintf("on %s, with visudo: %s ALL=(root) NOPASSWD: ALL", g.Name, g.User)
	case errors.Is(res.Err, sshcheck.ErrSudoNeedsTTY):
		return fmt.Sprintf("on %s, with visudo: Defaults:%s !requiretty", g.Name, g.User)
	}
	var se *sshcheck.Error
	if errors.As(res.Err, &se) && se.RemoveCommand != "" {
		return "check the new key on the guest's console, then: " + se.RemoveCommand + "; then sfkvm probe --trust"
	}
	return res.Hint()
}
