package enroll

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sfkvm/sfkvm/internal/count"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/rotate"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// RemovePlan is one unenrollment: the guest's line out of every host's
// kvmguests.conf, then, on the guest, the sudoers drop-in that enroll
// put there and, when asked, the user.
type RemovePlan struct {
	// Guest is the guest-name (libvirt domain name) of the line.
	Guest string
	// Admin logs in to the guest (its host key must be known here:
	// SSH's known_hosts); Port is its SSH port (0: 22). A nil Admin.Keys
	// and Password leaves the guest as it is (say so in the report).
	Admin Admin
	Port  int
	SSH   sshcheck.Options
	// RemoveUser also removes guest_user (userdel -r); never root.
	RemoveUser bool
	Files      rotate.Plan
	DryRun     bool
}

// Remove unenrolls a guest: the line goes from this host's file and every
// other host's (locked, compare and swap, read back, as Run writes), then
// the guest's drop-in (only one that enroll wrote: its first line is
// enroll's) and, with RemoveUser, the user. Known_hosts entries and the
// domain's disk are left (the report says so).
func Remove(ctx context.Context, p RemovePlan) (rep Report) {
	start := time.Now()
	rep = Report{Command: "unenroll", DryRun: p.DryRun}
	defer func() { rep.Seconds = time.Since(start).Seconds() }()
	if p.Admin.User == "" {
		p.Admin.User = "root"
	}
	p.Files.DryRun = p.DryRun
	files, err := rotate.LockFiles(ctx, p.Files, "unenroll")
	if err != nil {
		rep.step("lock", Failed, "kvmguests.conf on every host", err)
		return rep
	}
	defer func() { rep.Notes = append(rep.Notes, files.Release(ctx)...) }()
	rep.step("lock", OK, count.N(len(files.Hosts), "copy", "copies")+" identical", nil)
	cfg, diags := parse(files.Data, p.Files)
	if err := diags.Err(); err != nil {
		rep.step("file", Failed, "", fmt.Errorf("this host's kvmguests.conf has errors; fix them first: %w", err))
		return rep
	}
	var g *kvmguests.Guest
	kept := cfg.Lines[:0:0]
	for _, l := range cfg.Lines {
		if l.Guest != nil && l.Guest.Name == p.Guest {
			g = l.Guest
			continue
		}
		kept = append(kept, l)
	}
	if g == nil {
		rep.step("file", Already, "no line for "+p.Guest, nil)
	} else {
		rep.Address, rep.User, rep.Line = g.IP.String(), g.User, lineText(*g)
		rep.Facts.Domain = Fact{g.Name, "kvmguests.conf"}
		cfg.Lines = kept
		data := kvmguests.Format(cfg)
		rep.Diff = kvmguests.Compare(kvmguests.Copy{Name: "kvmguests.conf (before)", Data: files.Data},
			kvmguests.Copy{Name: "kvmguests.conf (after)", Data: data}).Diff
		if p.DryRun {
			rep.step("file", Would, "remove the line from "+count.N(len(files.Hosts), "copy", "copies"), nil)
		} else {
			hosts, resume, err := files.Replace(ctx, data)
			if err != nil {
				rep.step("file", Failed, "this host's file was not replaced; no copy changed", err)
				return rep
			}
			rep.Hosts, rep.Resume = hosts, resume
			if resume != "" {
				rep.step("file", Failed, "some hosts still hold the line", fmt.Errorf("copies differ: finish with the command below"))
				// The guest is left as it is until every host is without
				// the line; a second unenroll then finds no line, so say
				// what to remove there.
				if g.User != "root" {
					rep.Notes = append(rep.Notes, "once every host is without the line, the guest keeps "+leftOnGuest(*g, p.RemoveUser))
				}
				return rep
			}
			rep.step("file", Done, "the line removed from "+count.N(len(hosts), "copy", "copies")+", read back", nil)
		}
	}
	if g == nil {
		return rep
	}
	if g.User == "root" {
		// root has no drop-in of enroll's, and is never removed.
		if p.RemoveUser {
			rep.step("user", Left, "guest_user is root: never removed (--remove-user removes a login user only)", nil)
		}
		return rep
	}
	if p.Admin.Keys == nil && p.Admin.Password == nil {
		rep.step("guest", Left, "no administrator login given: "+sudoersFile(g.User)+" is left on the guest", nil)
		return rep
	}
	pr, err := sshcheck.New(p.SSH)
	if err != nil {
		rep.step("guest", Failed, "", err)
		return rep
	}
	ac, err := pr.Dial(ctx, sshcheck.Target{Address: g.IP.String(), Port: p.Port, User: p.Admin.User, Keys: p.Admin.Keys, Password: p.Admin.Password})
	if err == nil {
		if err = ac.CheckSudo(ctx); err != nil {
			ac.Close()
		}
	}
	// From here a failure (or an interrupt) leaves something on the guest
	// that a second unenroll cannot find (the line is gone): say what,
	// and the commands that remove it there.
	keeps := func(step string, err error) {
		rep.step(step, Failed, "the line is gone from every host; the guest keeps "+leftOnGuest(*g, p.RemoveUser), cause(ctx, err))
	}
	if err != nil {
		keeps("guest", err)
		return rep
	}
	defer ac.Close()
	f := sudoersFile(g.User)
	out, stderr, st, err := ac.Run(ctx, "cat", "--", f)
	switch {
	case err != nil:
		keeps("sudoers", err)
		return rep
	case st != 0 && bytes.Contains(stderr, []byte("No such file")):
		rep.step("sudoers", Already, f+" is not there", nil)
	case st != 0:
		keeps("sudoers", fmt.Errorf("reading %s: exit %d: %s", f, st, quote(stderr)))
		return rep
	case !strings.HasPrefix(string(out), "# sfkvm enroll:"):
		rep.step("sudoers", Failed, "", fmt.Errorf("%s was not written by sfkvm enroll; left as it is", f))
		return rep
	case !enrollsRule(g.User, string(out)):
		// Edited by hand since: what it holds now is someone's, not
		// enroll's, and is never deleted unseen.
		rep.step("sudoers", Failed, "", fmt.Errorf("%w: %s was changed since sfkvm enroll wrote it, and is left as it is: it holds %s; look at it on the guest and remove it there (rm -f -- %s)",
			ErrSudoersDiffers, f, quote(out), f))
		return rep
	case p.DryRun:
		rep.step("sudoers", Would, "remove "+f, nil)
	default:
		if _, stderr, st, err := ac.Run(ctx, "rm", "-f", "--", f); err != nil || st != 0 {
			keeps("sudoers", fmt.Errorf("rm %s: %v %s", f, err, quote(stderr)))
			return rep
		}
		rep.step("sudoers", Done, "removed "+f, nil)
	}
	if !p.RemoveUser {
		rep.step("user", Left, g.User+" stays on the guest (--remove-user removes it)", nil)
		return rep
	}
	userKept := func(err error) {
		rep.step("user", Failed, "the guest keeps the user "+g.User+" (remove it there: userdel -r "+g.User+"; the guest is "+g.IP.String()+")", cause(ctx, err))
	}
	_, _, st, err = ac.Run(ctx, "id", "-u", "--", g.User)
	switch {
	case err != nil:
		userKept(err)
	case st != 0:
		rep.step("user", Already, g.User+" is not there", nil)
	case p.DryRun:
		rep.step("user", Would, "userdel -r "+g.User, nil)
	default:
		stderr, st, err := userdel(ctx, ac, g.User)
		if err == nil && st != 0 {
			err = fmt.Errorf("%w: userdel -r %s: exit %d: %s", ErrGuestCommand, g.User, st, quote(stderr))
		}
		if err != nil {
			userKept(err)
			return rep
		}
		rep.step("user", Done, "userdel -r "+g.User, nil)
	}
	return rep
}

// enrollsRule reports whether content is a drop-in exactly as enroll
// writes it for user (SudoersRule, with ALL or a list of commands).
func enrollsRule(user, content string) bool {
	head, rule, ok := strings.Cut(content, "\n")
	if !ok || head+"\n" != strings.SplitAfter(SudoersRule(user, nil), "\n")[0] {
		return false
	}
	cmds, ok := strings.CutPrefix(strings.TrimSuffix(rule, "\n"), user+" ALL=(root) NOPASSWD: ")
	if !ok {
		return false
	}
	var list []string
	if cmds != "ALL" {
		list = strings.Split(cmds, ", ")
		for _, c := range list {
			if !strings.HasPrefix(c, "/") { // enroll writes absolute paths only
				return false
			}
		}
	}
	return content == SudoersRule(user, list)
}

// leftOnGuest says what an unenroll that could not reach the guest left
// there, and the commands that remove it.
func leftOnGuest(g kvmguests.Guest, removeUser bool) string {
	f := sudoersFile(g.User)
	s := f + " (remove it there: rm -f -- " + f
	if removeUser {
		s = f + " and the user " + g.User + " (remove them there: rm -f -- " + f + "; userdel -r " + g.User
	}
	return s + "; the guest is " + g.IP.String() + ")"
}
