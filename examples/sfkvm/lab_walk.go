package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/sdfacility"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// walk runs the procedure on the lab, step by step, through the library's
// real code paths, telling w what it does and which command does it on a
// real cluster; then it applies the faults that only show after set-up, and
// returns the preflight rows.
func (l *lab) walk(ctx context.Context, w io.Writer, f labFaults) ([]row, error) {
	step := func(n, title, real string) {
		fmt.Fprintf(w, "\n== step %s: %s\n   (on a real cluster: %s)\n", n, title, real)
	}

	step("1.3, 1.4", "kvmguests.conf with encrypted passwords", "sfcipher -c (or sfkvm cipher -c) for each password, then write /etc/opt/FJSVcluster/etc/kvmguests.conf on every host")
	fmt.Fprintf(w, "   wrote %s (0600); its tokens are sfkvm sealed tokens, made for this lab:\n   PRIMECLUSTER cannot read them, so sfkvm check accepts them only with --allow-sealed\n", l.conf)
	for _, g := range l.guests {
		fmt.Fprintf(w, "   %s\n", g.g)
	}

	step("1.6", "check the file", "sfkvm check (beside /opt/SMAW/SMAWsf/bin/sfkvmtool -c)")
	args := []string{"check", "--allow-sealed", "-f", l.conf}
	if l.skipFileChecks() {
		args = append(args, "--no-perm")
	}
	fmt.Fprintf(w, "   $ sfkvm %s\n", strings.Join(args, " "))
	var checkOut strings.Builder
	code := run(ctx, args, strings.NewReader(""), &checkOut, &checkOut)
	fmt.Fprint(w, indent(checkOut.String()))
	if code != exitOK {
		return nil, fmt.Errorf("sfkvm check exited %d", code)
	}

	step("1.5", "first login to every guest, recording its host key", "ssh -l USER GUEST_IP once as root and answer yes; or sfkvm probe --trust")
	p, err := sshcheck.New(l.proberOptions(sshcheck.TrustUnknown))
	if err != nil {
		return nil, err
	}
	// This host must also know the other hosts' keys, for preflight --hosts.
	host2 := sshcheck.Target{Name: labHost2Name, Address: labHost2IP, User: "root", Password: cipher.NewSecret(l.host2Password)}
	for _, r := range p.ProbeAll(ctx, append(l.targets(), host2)) {
		verdict := "ok, host key recorded " + r.Fingerprint
		if !r.OK() {
			verdict = "FAIL: " + r.Err.Error()
		}
		fmt.Fprintf(w, "   %-8s %-11s %s\n", r.Target.Name, r.Target.Address, verdict)
	}

	step("1.7", "restart the shutdown facility (simulated here)", "sfkvm sd restart, i.e. sdtool -s; sdtool -e and sdtool -b where it runs, sdtool -b where not")
	fac := sdfacility.Facility{Runner: l.sim, PollInterval: 10 * time.Millisecond, MaxPollInterval: 20 * time.Millisecond,
		OnAction: func(a sdfacility.Action) { fmt.Fprintf(w, "   %v\n", a) }}
	st, err := fac.Restart(ctx)
	if st != nil {
		fmt.Fprintf(w, "   %s\n", st.Summary())
	}
	if err != nil {
		fmt.Fprintf(w, "   shutdown facility: %v\n", err)
	}

	step("2", "register this host", "sfkvm migratesetup -c -i HOSTIP [-w off] (the vendor's sfkvmmigratesetup -c)")
	name, err := sdfacility.CFTool{Runner: l.sim, Path: labCFTool}.LocalNodeName(ctx)
	if err != nil {
		return nil, err
	}
	info := migratesetup.HostInfo{CFName: name, IP: netip.MustParseAddr(labHostIP)}
	if err := migratesetup.Register(ctx, l.hostinfo, info); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "   %s: host %s at %s, weight link %s\n", l.hostinfo, info.CFName, info.IP, info.WeightLink())

	step("3", "set up the guests that run here, then start them", "shutdown -P now in the guest, sfkvm migratesetup -s DOMAIN, start it; or sfkvm migratesetup -s DOMAIN --restart")
	fmt.Fprintf(w, "   libvirt: %s\n", l.storeOK)
	var setUp []string
	for _, d := range l.hereDomains() {
		if d != f.notSetUp {
			setUp = append(setUp, d)
		}
	}
	for _, r := range migratesetup.SetupGuests(ctx, l.store, setUp, migratesetup.Options{HostInfoPath: l.hostinfo}) {
		if r.Err != nil {
			fmt.Fprintf(w, "   %-8s FAIL: %v\n", r.Domain, r.Err)
			continue
		}
		fmt.Fprintf(w, "   %-8s %s (disk %s)\n", r.Domain, r.Outcome, r.Target)
	}
	for _, d := range l.hereDomains() {
		if err := l.store.Start(ctx, d); err != nil {
			return nil, fmt.Errorf("starting %s: %w", d, err)
		}
		fmt.Fprintf(w, "   %-8s started\n", d)
	}

	if f.changedKey != "" {
		if err := l.rekey(f.changedKey); err != nil {
			return nil, err
		}
	}
	if f.down != "" {
		if err := l.takeDown(f.down); err != nil {
			return nil, err
		}
	}

	step("all", "preflight: the whole procedure, checked", "sfkvm preflight --hosts OTHER_HOSTS --password-stdin")
	pe, err := l.preflightEnv()
	if err != nil {
		return nil, err
	}
	rows := preflight(ctx, pe)
	printRows(w, rows)
	return rows, nil
}

func (l *lab) skipFileChecks() bool { return !runningAsRoot() }

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "   " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n   ") + "\n"
}
