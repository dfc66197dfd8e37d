package site

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sfkvm/sfkvm/internal/count"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/preflight"
	"golang.org/x/crypto/ssh"
)

// siteChecks makes the rows of the site checks from what the hosts gave.
func siteChecks(cfg Config, runs []*hostRun) []Result {
	mk := func(c *Check, target string) Result {
		return Result{Check: c.ID, Step: c.Step, Title: c.Title, Target: target}
	}
	var out []Result
	for _, h := range runs {
		r := mk(HostReached, h.Name)
		if h.err != nil {
			r.Status, r.Reason, r.Error = preflight.Fail, h.err.Error(), h.err.Error()
			r.Fix = "log in to " + h.Address + " as root by key and run " + cfg.SFKVM + " preflight --format=json there"
			var late *outOfTimeError
			if errors.As(h.err, &late) {
				r.Fix = fmt.Sprintf("give each host more than %v (Config.HostTimeout; sfkvm site --timeout), or find what slows %s: its preflight did answer", late.limit, h.Address)
			}
		} else {
			c := h.report.Counts
			r.Status = preflight.OK
			r.Reason = fmt.Sprintf("preflight ran: %d OK, %d WARN, %d FAIL, %d SKIP", c.OK, c.Warn, c.Fail, c.Skip)
		}
		out = append(out, r)
	}
	out = append(out, confSame(mk(ConfSame, cfg.File), runs))
	out = append(out, weightLinkSame(mk(WeightLinkSame, "(every host)"), runs))

	for _, h := range runs {
		h.index()
	}
	guests := siteGuests(runs)
	if guests == nil {
		for _, c := range []*Check{HostCFNameKnown, GuestKeySame, GuestSetUpWhereRuns, GuestKnowsHosts} {
			r := mk(c, "(guests)")
			r.Status, r.Reason = preflight.Skip, "no host's kvmguests.conf was read, so no guests to check"
			out = append(out, r)
		}
		return out
	}
	for _, g := range guests {
		out = append(out, hostCFNameKnown(mk(HostCFNameKnown, g.Name), g, runs))
	}
	for _, g := range guests {
		out = append(out, guestKeySame(mk(GuestKeySame, g.Name+" "+g.IP.String()), g, runs))
	}
	for _, g := range guests {
		out = append(out, setUpWhereRuns(mk(GuestSetUpWhereRuns, g.Name), g, runs))
	}
	for _, g := range guests {
		out = append(out, knowsHosts(mk(GuestKnowsHosts, g.Name), g, runs))
	}
	return out
}

// index files the host's guest.setup and guest.knowshost rows by guest,
// so that each guest's site checks read only its own rows.
func (h *hostRun) index() {
	h.setup, h.knows = map[string][]Result{}, map[string][]Result{}
	if h.report == nil {
		return
	}
	for _, x := range h.report.Results {
		switch x.Check {
		case preflight.GuestSetUp.ID:
			if strings.HasPrefix(x.Target, "(") {
				h.setupBlind = h.setupBlind || x.Status != preflight.OK
			} else {
				h.setup[x.Target] = append(h.setup[x.Target], x)
			}
		case preflight.GuestKnowsHost.ID:
			if g, _, ok := strings.Cut(x.Target, " -> "); ok {
				h.knows[g] = append(h.knows[g], x)
			}
		}
	}
}

// siteGuests are the guests of the copy most hosts hold (the first such
// host's, on a tie); nil when no copy was read.
func siteGuests(runs []*hostRun) []kvmguests.Guest {
	count := map[string]int{}
	var best *hostRun
	for _, h := range runs {
		if h.confErr != nil {
			continue
		}
		count[h.ConfSHA256]++
		if best == nil || count[h.ConfSHA256] > count[best.ConfSHA256] {
			best = h
		}
	}
	if best == nil {
		return nil
	}
	if best.guests == nil {
		return []kvmguests.Guest{}
	}
	return best.guests
}

func names(hs []*hostRun) string {
	var s []string
	for _, h := range hs {
		s = append(s, h.Name)
	}
	return list(s, ", ")
}

// maxListed is how many items a list in a reason or detail names; the
// rest are counted. 25,000 rows of one guest's guest.knowshost, each with
// its reason, made one line of 50 MB.
const maxListed = 20

// list joins at most maxListed items, then says how many more there are.
func list(items []string, sep string) string {
	if len(items) <= maxListed {
		return strings.Join(items, sep)
	}
	return strings.Join(items[:maxListed], sep) + fmt.Sprintf("%sand %d more", sep, len(items)-maxListed)
}

// confSame: site.conf.
func confSame(r Result, runs []*hostRun) Result {
	groups := map[string][]*hostRun{}
	var order []string
	var unread []string
	for _, h := range runs {
		if h.confErr != nil {
			unread = append(unread, h.Name+": "+h.confErr.Error())
			continue
		}
		if groups[h.ConfSHA256] == nil {
			order = append(order, h.ConfSHA256)
		}
		groups[h.ConfSHA256] = append(groups[h.ConfSHA256], h)
	}
	var detail []string
	for _, s := range order {
		detail = append(detail, fmt.Sprintf("sha256 %s: %s", s, names(groups[s])))
	}
	detail = append(detail, unread...)
	switch {
	case len(order) == 1 && len(unread) == 0:
		r.Status, r.Reason = preflight.OK, fmt.Sprintf("the same on %s, sha256 %.12s", count.All(len(runs), "host", "hosts"), order[0])
	case len(order) > 1:
		r.Status, r.Reason = preflight.Fail, fmt.Sprintf("%d different copies on %s", len(order), count.N(len(runs), "host", "hosts"))
		r.Fix = "copy the right file to every host (sfkvm compare shows how copies differ), then sfkvm check it"
		r.Detail = list(detail, "\n")
	case len(runs) == 0:
		r.Status, r.Reason = preflight.Skip, "no hosts given"
	default:
		r.Status, r.Reason = preflight.Fail, fmt.Sprintf("not read on %d of %s", len(unread), count.N(len(runs), "host", "hosts"))
		r.Fix = "every host needs its copy of the file, readable by root"
		r.Detail = list(detail, "\n")
	}
	return r
}

// weightLinkSame: site.weightlink.
func weightLinkSame(r Result, runs []*hostRun) Result {
	by := map[string][]*hostRun{}
	var unread []string
	for _, h := range runs {
		if h.infoErr != nil {
			unread = append(unread, h.Name+": "+h.infoErr.Error())
			continue
		}
		by[h.WeightLink] = append(by[h.WeightLink], h)
	}
	switch {
	case len(runs) == 0:
		r.Status, r.Reason = preflight.Skip, "no hosts given"
	case len(by) > 1:
		r.Status = preflight.Fail
		r.Reason = fmt.Sprintf("-w on: %s; -w off: %s", names(by["on"]), names(by["off"]))
		r.Fix = "register every host with the same -w: sfkvm migratesetup -c -i HOSTIP [-w off] on the hosts that differ"
	case len(unread) > 0:
		r.Status, r.Reason = preflight.Fail, fmt.Sprintf("not registered, or not read, on %d of %s", len(unread), count.N(len(runs), "host", "hosts"))
		r.Fix = "register every host: sfkvm migratesetup -c -i HOSTIP [-w off]"
		r.Detail = list(unread, "\n")
	default:
		for w := range by {
			r.Status, r.Reason = preflight.OK, fmt.Sprintf("-w %s on %s", w, count.All(len(runs), "host", "hosts"))
		}
	}
	return r
}

// hostCFNameKnown: site.hostcfname for one guest.
func hostCFNameKnown(r Result, g kvmguests.Guest, runs []*hostRun) Result {
	var registered []string
	unread := 0
	for _, h := range runs {
		if h.infoErr != nil {
			unread++
			continue
		}
		if h.CFName == g.HostCFName {
			r.Status, r.Reason = preflight.OK, fmt.Sprintf("%s is registered, by %s", g.HostCFName, h.Name)
			return r
		}
		registered = append(registered, h.CFName)
	}
	r.Status = preflight.Fail
	r.Reason = fmt.Sprintf("host-cfname %s is no registered host (registered: %s)", g.HostCFName, list(registered, ", "))
	if unread > 0 {
		r.Reason += fmt.Sprintf("; the registration of %s not read", count.N(unread, "host", "hosts"))
	}
	r.Fix = fmt.Sprintf("set host-cfname of %s to the CF node name of the host it runs on, in every copy; or register that host (sfkvm migratesetup -c)", g.Name)
	return r
}

// fingerprint shows a key "type base64" (a marker before it kept) as
// OpenSSH's SHA256 fingerprint.
func fingerprint(k string) string {
	marker := ""
	if strings.HasPrefix(k, "@") {
		marker, k, _ = strings.Cut(k, " ")
		marker += " "
	}
	pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k))
	if err != nil {
		return marker + "(unreadable key)"
	}
	return marker + ssh.FingerprintSHA256(pk)
}

// guestKeySame: site.guestkey for one guest.
func guestKeySame(r Result, g kvmguests.Guest, runs []*hostRun) Result {
	groups := map[string][]*hostRun{}
	shown := map[string]string{} // the fingerprints of a group, as a list that is capped
	var order []string
	var missing, unread []string
	for _, h := range runs {
		if h.keysErr != nil {
			unread = append(unread, h.Name)
			continue
		}
		name, listed := h.knownName[g.Name]
		if !listed {
			unread = append(unread, h.Name+" (not in its copy of the file)")
			continue
		}
		ks := slices.Clone(h.keys[name])
		if len(ks) == 0 {
			missing = append(missing, h.Name)
			continue
		}
		slices.Sort(ks)
		var fps []string
		for _, k := range ks {
			fps = append(fps, fingerprint(k))
		}
		id := strings.Join(fps, " ")
		if groups[id] == nil {
			order = append(order, id)
			shown[id] = list(fps, " ")
		}
		groups[id] = append(groups[id], h)
	}
	var detail []string
	for _, id := range order {
		detail = append(detail, fmt.Sprintf("%s: %s", shown[id], names(groups[id])))
	}
	if len(missing) > 0 {
		detail = append(detail, "no key: "+list(missing, ", "))
	}
	if len(unread) > 0 {
		detail = append(detail, "known_hosts not read: "+list(unread, ", "))
	}
	switch {
	case len(order) > 1:
		r.Status, r.Reason = preflight.Fail, fmt.Sprintf("%d different keys on the hosts: the guest was rebuilt and re-trusted on some only", len(order))
		r.Fix = fmt.Sprintf("find the guest's real key (ssh-keyscan %s from a host you trust), then on each host that has another: ssh-keygen -R %s and log in once", g.IP, g.IP)
		r.Detail = list(detail, "\n")
	case len(missing) > 0:
		r.Status, r.Reason = preflight.Fail, "not in root's known_hosts on "+list(missing, ", ")
		r.Fix = fmt.Sprintf("log in once from those hosts as root (ssh %s@%s) and check the fingerprint", g.User, g.IP)
		r.Detail = list(detail, "\n")
	case len(unread) > 0:
		r.Status, r.Reason = preflight.Fail, "known_hosts not read on "+list(unread, ", ")
		r.Fix = "see those hosts' site.host and site.conf rows"
		r.Detail = list(detail, "\n")
	case len(order) == 0:
		r.Status, r.Reason = preflight.Skip, "no hosts"
	default:
		r.Status, r.Reason = preflight.OK, fmt.Sprintf("one key on %s: %s", count.All(len(runs), "host", "hosts"), shown[order[0]])
	}
	return r
}

// setUpWhereRuns: site.setup for one guest, from the hosts' guest.setup.
func setUpWhereRuns(r Result, g kvmguests.Guest, runs []*hostRun) Result {
	var where []Result
	var blind []string
	for _, h := range runs {
		if h.report == nil {
			blind = append(blind, h.Name+" (not reached)")
			continue
		}
		where = append(where, h.setup[g.Name]...)
		if h.setupBlind {
			blind = append(blind, h.Name+" (its domains were not listed)")
		}
	}
	switch {
	case len(where) == 1 && where[0].Status == preflight.Fail:
		r.Status, r.Reason, r.Fix = preflight.Fail, "on "+where[0].Host+": "+where[0].Reason, where[0].Fix
	case len(where) == 1:
		r.Status, r.Reason = preflight.OK, "runs on "+where[0].Host+", set up there"
	case len(where) > 1:
		var hs []string
		for _, x := range where {
			hs = append(hs, x.Host)
		}
		r.Status, r.Reason = preflight.Fail, "runs on several hosts at once: "+list(hs, ", ")
		r.Fix = "stop the copies that should not run (the same disk used twice corrupts it)"
	case len(blind) > 0:
		// It may run where nothing could be seen: SKIP, as preflight
		// does without libvirt; those hosts' own rows say why.
		r.Status, r.Reason = preflight.Skip, "runs on none of the hosts seen; not seen: "+list(blind, ", ")
	default:
		r.Status, r.Reason = preflight.Fail, "runs on no host of the site"
		r.Fix = "start it on its host (virsh start " + g.Name + "), or take it out of kvmguests.conf on every host"
	}
	return r
}

// knowsHosts: site.knowshost for one guest, from the hosts' guest.knowshost.
func knowsHosts(r Result, g kvmguests.Guest, runs []*hostRun) Result {
	prefix := g.Name + " -> "
	var failed, unchecked []string
	var fix string
	known := 0
	for _, h := range runs {
		if h.report == nil {
			unchecked = append(unchecked, h.Name+" (not reached)")
			continue
		}
		rows := 0
		for _, x := range h.knows[g.Name] {
			rows++
			addr := strings.TrimPrefix(x.Target, prefix)
			switch x.Status {
			case preflight.OK, preflight.Warn:
				known++
			case preflight.Fail:
				failed = append(failed, fmt.Sprintf("%s (%s says: %s)", addr, h.Name, x.Reason))
				if fix == "" {
					fix = x.Fix
				}
			default:
				unchecked = append(unchecked, fmt.Sprintf("%s (%s: %s)", addr, h.Name, x.Reason))
			}
		}
		if rows == 0 {
			unchecked = append(unchecked, h.Name+" (no row for the guest)")
		}
	}
	switch {
	case len(failed) > 0:
		r.Status, r.Reason, r.Fix = preflight.Fail, "does not know "+list(failed, "; "), fix
	case len(unchecked) > 0:
		r.Status, r.Reason = preflight.Skip, "not checked for "+list(unchecked, "; ")
	default:
		r.Status, r.Reason = preflight.OK, fmt.Sprintf("knows the %d host addresses the hosts checked", known)
	}
	return r
}
