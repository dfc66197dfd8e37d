package lab

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/migratesetuptest"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/sdfacility"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// Start builds the lab in dir with opts and prepares it, telling w what it
// does: New, then Prepare. Close it when done.
func Start(ctx context.Context, dir string, w io.Writer, opts ...Option) (*Lab, error) {
	l, err := New(dir, opts...)
	if err != nil {
		return nil, err
	}
	if err := l.Prepare(ctx, w); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// Prepare walks the procedure on the lab, step by step, through the
// library's real code paths, telling w what it does and which command does
// it on a real cluster: it checks the file, records the host keys, restarts
// the shutdown facility, registers this host and sets up the guests that
// run here; then it applies the faults that only show after set-up. What
// is left is preflight's: preflight.Run(ctx, l.Config()).
func (l *Lab) Prepare(ctx context.Context, w io.Writer) error {
	step := func(n, title, real string) {
		fmt.Fprintf(w, "\n== step %s: %s\n   (on a real cluster: %s)\n", n, title, real)
	}

	step("1.3, 1.4", "kvmguests.conf with encrypted passwords", "sfcipher -c (or sfkvm cipher -c) for each password, then write /etc/opt/FJSVcluster/etc/kvmguests.conf on every host")
	fmt.Fprintf(w, "   wrote %s (0600); its tokens are sfkvm sealed tokens, made for this lab:\n   PRIMECLUSTER cannot read them, so sfkvm check accepts them only with --allow-sealed\n", l.File)
	for _, g := range l.Guests {
		fmt.Fprintf(w, "   %s\n", g.Guest)
	}

	step("1.6", "check the file", "sfkvm check (beside /opt/SMAW/SMAWsf/bin/sfkvmtool -c)")
	args := "--allow-sealed -f " + l.File
	if l.SkipFileChecks() {
		args += " --no-perm"
	}
	fmt.Fprintf(w, "   $ sfkvm check %s\n", args)
	_, diags, err := kvmguests.ReadFile(l.File, kvmguests.Options{AllowSealed: true, SkipFileChecks: l.SkipFileChecks()})
	if err != nil {
		return err
	}
	for _, d := range diags {
		fmt.Fprintf(w, "   %s\n", d)
	}
	if diags.HasErrors() {
		return fmt.Errorf("the lab's kvmguests.conf has errors: %w", diags.Err())
	}
	fmt.Fprintf(w, "   %s\n", kvmguests.SuccessNotice)
	c, err := kvmguests.ReadCopy(l.File)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(c.Data)
	l.confSum = hex.EncodeToString(sum[:])

	step("1.5", "first login to every guest, recording its host key", "ssh -l USER GUEST_IP once as root and answer yes; or sfkvm probe --trust")
	p, err := sshcheck.New(l.ProberOptions(sshcheck.TrustUnknown))
	if err != nil {
		return err
	}
	guests := make([]kvmguests.Guest, len(l.Guests))
	for i, g := range l.Guests {
		guests[i] = g.Guest
	}
	// This host must also know the other host's key, for preflight's
	// comparisons with it.
	targets := append(preflight.GuestTargets(guests, 0, l.Password), l.Host2Target())
	for i, r := range p.ProbeAll(ctx, targets) {
		line := "ok, host key recorded " + r.Fingerprint
		if !r.OK() {
			line = "FAIL: " + r.Err.Error()
		}
		fmt.Fprintf(w, "   %-8s %-11s %s\n", r.Target.Name, r.Target.Address, line)
		if !r.OK() && i < len(guests) {
			// The same fix as preflight's table shows for it.
			if fix := preflight.ProbeFix(r, guests[i]); fix != "" {
				fmt.Fprintf(w, "   %-8s %-11s fix: %s\n", "", "", fix)
			}
		}
	}

	step("1.7", "restart the shutdown facility (simulated here)", "sfkvm sd restart, i.e. sdtool -s; sdtool -e and sdtool -b where it runs, sdtool -b where not")
	fac := sdfacility.Facility{Runner: l.Facility, SDTool: SDTool, PollInterval: 10 * time.Millisecond, MaxPollInterval: 20 * time.Millisecond,
		OnAction: func(a sdfacility.Action) { fmt.Fprintf(w, "   %v\n", a) }}
	st, err := fac.Restart(ctx)
	if st != nil {
		fmt.Fprintf(w, "   %s\n", st.Summary())
	}
	if err != nil {
		fmt.Fprintf(w, "   shutdown facility: %v\n", err)
	}

	step("2", "register this host", "sfkvm migratesetup -c -i HOSTIP [-w off] (the vendor's sfkvmmigratesetup -c)")
	name, err := sdfacility.CFTool{Runner: l.Facility, Path: CFTool}.LocalNodeName(ctx)
	if err != nil {
		return err
	}
	if l.set.renamedNode {
		name = "cfhost0" // registered before the node was renamed to what cftool -l says now
	}
	info := migratesetup.HostInfo{CFName: name, IP: netip.MustParseAddr(HostIP)}
	if err := migratesetup.Register(ctx, l.HostInfo, info); err != nil {
		return err
	}
	fmt.Fprintf(w, "   %s: host %s at %s, weight link %s\n", l.HostInfo, info.CFName, info.IP, info.WeightLink())

	step("3", "set up the guests that run here, then start them", "shutdown -P now in the guest, sfkvm migratesetup -s DOMAIN, start it; or sfkvm migratesetup -s DOMAIN --restart")
	fmt.Fprintf(w, "   libvirt: %s\n", l.StoreName)
	var here, setUp []string
	for _, g := range l.Guests {
		if g.Here {
			here = append(here, g.Name)
			if g.Name != l.set.notSetUp {
				setUp = append(setUp, g.Name)
			}
		}
	}
	for _, r := range migratesetup.SetupGuests(ctx, l.Store, setUp, migratesetup.Options{HostInfoPath: l.HostInfo}) {
		if r.Err != nil {
			fmt.Fprintf(w, "   %-8s FAIL: %v\n", r.Domain, r.Err)
			continue
		}
		fmt.Fprintf(w, "   %-8s %s (disk %s)\n", r.Domain, r.Outcome, r.Target)
	}
	if l.set.unlisted != "" {
		here = append(here, l.set.unlisted)
	}
	for _, d := range here {
		if err := l.Store.Start(ctx, d); err != nil {
			return fmt.Errorf("starting %s: %w", d, err)
		}
		fmt.Fprintf(w, "   %-8s started\n", d)
	}

	if g := l.set.liveLacksDisk; g != "" {
		fake, ok := l.Store.(*migratesetuptest.Store)
		if !ok {
			return fmt.Errorf("LiveLacksDisk needs the in-memory store, not %s", l.StoreName)
		}
		// The disk detached live: the definition it was started from.
		if err := fake.SetLiveXML(g, domainXML(g, false)); err != nil {
			return err
		}
	}
	if l.set.changedKey != "" {
		if err := l.Rekey(l.set.changedKey); err != nil {
			return err
		}
	}
	if l.set.down != "" {
		if err := l.TakeDown(l.set.down); err != nil {
			return err
		}
	}
	return l.prepareHost2(ctx, w)
}

// prepareHost2 sets up and starts the other host's guests on its own
// libvirt, with its registration, as step 3 does here: what its preflight
// (through sfkvm site) then finds.
func (l *Lab) prepareHost2(ctx context.Context, w io.Writer) error {
	var there []string
	for _, g := range l.Guests {
		if !g.Here && g.Name != l.set.notSetUp {
			there = append(there, g.Name)
		}
	}
	for _, r := range migratesetup.SetupGuests(ctx, l.Host2Store, there, migratesetup.Options{HostInfoPath: l.Host2Info}) {
		if r.Err != nil {
			return fmt.Errorf("setting up %s on %s: %w", r.Domain, Host2Name, r.Err)
		}
	}
	for _, d := range there {
		if err := l.Host2Store.Start(ctx, d); err != nil {
			return fmt.Errorf("starting %s on %s: %w", d, Host2Name, err)
		}
	}
	fmt.Fprintf(w, "   on %s, registered in %s: %s set up and started the same way\n", Host2Name, l.Host2Info, strings.Join(there, " and "))
	return nil
}

// Unexpected compares a preflight report of the prepared lab with what the
// lab must give, and returns each difference: every result OK, except that
// the vendor's checker is absent (SKIP), the sealed tokens draw a warning,
// the file's owner is not checked where the caller is not root, and a
// SudoNeedsPassword guest FAILs its sudo check (with the NOPASSWD fix) and
// skips what needs sudo. Other faults show as differences.
func (l *Lab) Unexpected(rep preflight.Report) []string {
	var bad []string
	broken := l.set.sudoPassword
	sawFail := broken == ""
	for _, r := range rep.Results {
		want := preflight.OK
		onBroken := broken != "" && strings.HasPrefix(r.Target, broken+" ")
		switch {
		case r.Check == preflight.GuestSudo.ID && onBroken:
			want = preflight.Fail
			if !strings.Contains(r.Reason, "sudo needs a password") || !strings.Contains(r.Fix, "NOPASSWD") {
				bad = append(bad, fmt.Sprintf("%s %s: reason %q, fix %q", r.Check, r.Target, r.Reason, r.Fix))
			}
			sawFail = true
		case (r.Check == preflight.GuestNames.ID || r.Check == preflight.GuestKnowsHost.ID || r.Check == preflight.GuestPasswordAge.ID) && onBroken:
			want = preflight.Skip
		case r.Check == preflight.ConfVendor.ID:
			want = preflight.Skip
		case r.Check == preflight.ConfSyntax.ID:
			want = preflight.Warn // sealed tokens, accepted for the lab
		case r.Check == preflight.ConfMode.ID && l.SkipFileChecks():
			want = preflight.Skip
		}
		if r.Status != want {
			bad = append(bad, fmt.Sprintf("%s %s %s: %s, want %s (%s)", r.Step, r.Check, r.Target, r.Status, want, r.Reason))
		}
	}
	if !sawFail {
		bad = append(bad, "no sudo result for "+broken)
	}
	return bad
}
