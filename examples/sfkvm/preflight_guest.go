package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/sdfacility"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// checkGuest: steps 1.5 (host key, login), 1.2 (sudo), 1.1 (the guest's own
// cftool agrees with the file) and 5 (the guest knows every host's key) for
// one guest, logging in the way PRIMECLUSTER will.
func checkGuest(ctx context.Context, pe *preflightEnv, i int, g kvmguests.Guest, hosts []string) []row {
	mk := func(step, check string, sec section) row {
		return row{Step: step, Check: check, Target: g.Name + " " + g.IP.String(), sec: sec, index: i}
	}
	hostKey, login, sudo := mk("1.5", "host key known", secHostKey), mk("1.5", "login", secLogin), mk("1.2", "sudo NOPASSWD", secSudo)
	names := mk("1.1", "cluster and node name", secGuestNames)
	knows := func(h string) row {
		r := mk("5", "guest knows host", secGuestKnowsHost)
		r.Target = g.Name + " -> " + h
		return r
	}
	skipRest := func(why string, rs ...*row) {
		for _, r := range rs {
			r.Verdict, r.Reason = verdictSkip, why
		}
	}
	stepFive := func(why string) []row {
		if len(hosts) == 0 {
			r := knows("(hosts)")
			r.Verdict, r.Reason = verdictSkip, "no host address known: register this host (step 2) or give --hosts"
			return []row{r}
		}
		var rows []row
		for _, h := range hosts {
			r := knows(h)
			r.Verdict, r.Reason = verdictSkip, why
			rows = append(rows, r)
		}
		return rows
	}

	t := sshcheck.Target{Name: g.Name, Address: g.IP.String(), Port: pe.guestPort, User: g.User}
	if pe.password != nil {
		t.Password = pe.password(g)
	}
	res := pe.prober.Probe(ctx, t)
	var se *sshcheck.Error
	errors.As(res.Err, &se)
	switch {
	case errors.Is(res.Err, sshcheck.ErrHostKeyUnknown), errors.Is(res.Err, sshcheck.ErrHostKeyChanged), errors.Is(res.Err, sshcheck.ErrHostKeyRevoked):
		hostKey.Verdict, hostKey.Reason, hostKey.Fix = verdictFail, reasonOf(res.Err), fixOf(res, g)
		skipRest("the host key check failed", &login, &sudo, &names)
		return append([]row{hostKey, login, sudo, names}, stepFive("the host key check failed")...)
	case errors.Is(res.Err, sshcheck.ErrPasswordSource):
		// The password could not be had (a vendor token with --key, the
		// wrong key): no connection was made, so nothing is known of the
		// host key either.
		hostKey.Verdict, hostKey.Reason = verdictSkip, "not tried: no password to log in with"
		login.Verdict, login.Reason = verdictFail, "the password cannot be read: "+errorText(se.Err)
		switch {
		case errors.Is(se.Err, cipher.ErrTokenAltered):
			login.Fix = "the token was sealed for another guest (moved from another line?) or altered; seal this guest's password again: " + resealCommand(g)
		case errors.Is(se.Err, cipher.ErrUnboundToken):
			login.Fix = "seal this guest's password again, bound to it: " + resealCommand(g) + "; or give --allow-v1-tokens (each such token is then reported)"
		default:
			login.Fix = "--key opens only sfkvm sealed tokens made with that key; for sfcipher tokens give --password-stdin"
		}
		skipRest("no login", &sudo, &names)
		return append([]row{hostKey, login, sudo, names}, stepFive("no login")...)
	case res.Fingerprint == "":
		// No host key was seen: the guest did not get that far.
		hostKey.Verdict, hostKey.Reason = verdictFail, "cannot reach the guest: "+reasonOf(res.Err)
		hostKey.Fix = fmt.Sprintf("check that %s runs and that its sshd listens at %s port %d, reachable from this host", g.Name, g.IP, pe.guestPort)
		skipRest("the guest cannot be reached", &login, &sudo, &names)
		return append([]row{hostKey, login, sudo, names}, stepFive("the guest cannot be reached")...)
	}
	hostKey.Verdict, hostKey.Reason = verdictOK, res.Fingerprint
	if res.Trusted {
		hostKey.Reason += " (recorded now)"
	}
	if t.Password == nil {
		why := "no password to log in with: give --key (sealed tokens) or --password-stdin"
		skipRest(why, &login, &sudo, &names)
		return append([]row{hostKey, login, sudo, names}, stepFive(why)...)
	}
	switch {
	case errors.Is(res.Err, sshcheck.ErrSudoNeedsPassword), errors.Is(res.Err, sshcheck.ErrSudoNeedsTTY), errors.Is(res.Err, sshcheck.ErrSudoFailed):
		login.Verdict, login.Reason = verdictOK, "as "+g.User
		sudo.Verdict, sudo.Reason, sudo.Fix = verdictFail, reasonOf(res.Err), fixOf(res, g)
		skipRest("sudo does not work, so commands cannot run as root", &names)
		return append([]row{hostKey, login, sudo, names}, stepFive("sudo does not work on the guest")...)
	case res.Err != nil:
		login.Verdict, login.Reason, login.Fix = verdictFail, reasonOf(res.Err), fixOf(res, g)
		skipRest("the login failed", &sudo, &names)
		return append([]row{hostKey, login, sudo, names}, stepFive("the login failed")...)
	}
	login.Verdict, login.Reason = verdictOK, "as "+g.User
	if t.IsRoot() {
		sudo.Verdict, sudo.Reason = verdictOK, "root needs no sudo"
	} else {
		sudo.Verdict, sudo.Reason = verdictOK, "sudo -n true works"
	}

	c, err := pe.prober.Dial(ctx, t)
	if err != nil {
		names.Verdict, names.Reason = verdictFail, "second login failed: "+err.Error()
		return append([]row{hostKey, login, sudo, names}, stepFive("the second login failed")...)
	}
	defer c.Close()
	names = checkNames(ctx, c, g, names)
	rows := []row{hostKey, login, sudo, names}
	if len(hosts) == 0 {
		return append(rows, stepFive("")...)
	}
	for _, h := range hosts {
		r := knows(h)
		file, err := sshcheck.GuestKnowsHost(ctx, c, h, 0)
		switch {
		case err != nil:
			r.Verdict, r.Reason = verdictFail, err.Error()
		case file == "":
			r.Verdict = verdictFail
			r.Reason = "root on the guest has no host key for " + h
			r.Fix = fmt.Sprintf("on %s as root: ssh %s once and answer yes (manual step 5)", g.Name, h)
		default:
			r.Verdict, r.Reason = verdictOK, "known in "+file
		}
		rows = append(rows, r)
	}
	return rows
}

// checkNames: the guest's cftool -c and cftool -l agree with
// guest-clustername and guest-cfname.
func checkNames(ctx context.Context, c sdfacility.Runner, g kvmguests.Guest, r row) row {
	tool := sdfacility.CFTool{Runner: c, Path: sdfacility.DefaultCFTool}
	cluster, err := tool.ClusterName(ctx)
	if err != nil {
		r.Verdict, r.Reason = verdictFail, "cftool -c on the guest: "+err.Error()
		return r
	}
	node, err := tool.LocalNodeName(ctx)
	if err != nil {
		r.Verdict, r.Reason = verdictFail, "cftool -l on the guest: "+err.Error()
		return r
	}
	if cluster != g.ClusterName || node != g.CFName {
		r.Verdict = verdictFail
		r.Reason = fmt.Sprintf("the guest says %s/%s, kvmguests.conf says %s/%s", cluster, node, g.ClusterName, g.CFName)
		r.Fix = fmt.Sprintf("set guest-clustername %s and guest-cfname %s for %s on every host's copy", cluster, node, g.Name)
		return r
	}
	r.Verdict, r.Reason = verdictOK, cluster+"/"+node
	return r
}

func errorText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

// reasonOf is the probe's error without the address, which the row shows.
func reasonOf(err error) string {
	var se *sshcheck.Error
	if errors.As(err, &se) && se.Kind != nil {
		return se.Kind.Error() + " (" + string(se.Stage) + ")" + detailOf(se)
	}
	return err.Error()
}

func detailOf(se *sshcheck.Error) string {
	switch {
	case se.KnownFingerprint != "":
		return ": now " + se.Fingerprint + ", known " + se.KnownFingerprint + " at " + se.KnownAt
	case se.Stderr != "":
		return ": " + se.Stderr
	}
	return ""
}

// fixOf says what to do about a failed probe.
func fixOf(res sshcheck.Result, g kvmguests.Guest) string {
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
	if h := res.Hint(); h != "" {
		return h
	}
	return ""
}
