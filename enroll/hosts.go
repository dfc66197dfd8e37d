package enroll

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sfkvm/sfkvm/internal/count"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/rotate"
	"github.com/sfkvm/sfkvm/site"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// HostPreflight is how the run ends on every other host (Plan.Files.Hosts,
// over Plan.Files.Connect, the connection the run already uses): there
// `PROGRAM preflight --format=json --guest NAME -f FILE --hostinfo PATH
// --password-stdin [--port N] [--known-hosts FILE] ARGS...`, the guest's
// password on its stdin (never in argv; or --key KEY), its report read
// as sfkvm site reads a host's (site.ReadPreflight).
type HostPreflight struct {
	// Program is sfkvm on the hosts; "" means site.DefaultSFKVM.
	Program string
	// Args come last (e.g. "--connect", URI).
	Args []string
	// Timeout bounds one host's preflight; 0 means
	// site.DefaultHostTimeout.
	Timeout time.Duration
	// Key, when set, is the key file of sfkvm's sealed tokens on the
	// hosts (the same path on each): their preflight opens the guest's
	// token with it (--key) instead of reading the password on stdin.
	Key string
}

func (p Plan) hostInfoPath() string {
	if p.Setup.HostInfoPath != "" {
		return p.Setup.HostInfoPath
	}
	return migratesetup.DefaultPath
}

// registration is a host's registered address, or why it is not known.
type registration struct {
	ip  netip.Addr
	err error
}

// readRegistration reads a host's information file (migratesetup -c)
// through run: this host's locally, another's over the run's connection.
func readRegistration(ctx context.Context, run func(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, []byte, int, error), host, path string) registration {
	out, stderr, st, err := run(ctx, nil, "cat", "--", path)
	switch {
	case err != nil:
		return registration{err: err}
	case st != 0:
		return registration{err: fmt.Errorf("cat %s: exit %d: %s", path, st, quote(stderr))}
	}
	info, err := migratesetup.Parse(bytes.NewReader(out), host+":"+path)
	if err != nil {
		return registration{err: err}
	}
	return registration{ip: info.IP}
}

// stepFive returns the hosts the guest must know (step 5): Plan.GuestKnows
// when given, else every host's registered address (this host's and, in
// regs, the other hosts' as the keys step read them), each shown in the
// report with where it came from. missing names the hosts whose address
// is not known.
func (p Plan) stepFive(regs map[string]registration, rep *Report) (targets []sshcheck.Target, missing []string) {
	if len(p.GuestKnows) > 0 {
		for _, t := range p.GuestKnows {
			rep.HostAddresses = append(rep.HostAddresses, HostAddress{Host: t.Name, Address: t.HostPort(), Source: "given"})
		}
		return p.GuestKnows, nil
	}
	path := p.hostInfoPath()
	order := []string{LocalHost}
	for _, h := range p.Files.Hosts {
		order = append(order, h.Name)
	}
	for _, name := range order {
		r, ok := regs[name]
		if !ok {
			r = registration{err: fmt.Errorf("not reached")}
		}
		if r.err != nil {
			missing = append(missing, fmt.Sprintf("%s (%v)", name, r.err))
			continue
		}
		t := sshcheck.Target{Name: name, Address: r.ip.String(), Port: 22}
		targets = append(targets, t)
		rep.HostAddresses = append(rep.HostAddresses, HostAddress{Host: name, Address: t.HostPort(),
			Source: "registration of " + name + " (" + path + ")"})
	}
	return targets, missing
}

// stepFiveLeft says what is left of step 5 when some hosts' addresses
// are not known, and what to do.
func stepFiveLeft(missing []string) string {
	return "the guest's root known_hosts lacks these hosts' keys (step 5), their addresses not known: " + strings.Join(missing, "; ") +
		": register each (sfkvm migratesetup -c -i HOSTIP, on it) or give every host's address with --host-addresses"
}

// preflight runs preflight for g on this host (Plan.Preflight) and on
// every other host (Plan.HostPreflight), at once, and names what is left
// on each: its FAIL and WARN rows.
func (p Plan) preflight(ctx context.Context, g kvmguests.Guest, rep *Report) {
	if p.Preflight == nil || p.DryRun {
		rep.step("preflight", Left, "run it for "+g.Name+" on every host: the hosts' logins, step 5 from the guest, the disk", nil)
		rep.Next = append(rep.Next, "sfkvm preflight --guest "+g.Name+"   (on every host; or sfkvm site --site-hosts ... from one)")
		return
	}
	checks := make([]HostCheck, 1, 1+len(p.Files.Hosts))
	var wg sync.WaitGroup
	wg.Go(func() {
		cfg := *p.Preflight
		if cfg.File == "" {
			cfg.File, cfg.FileOptions = p.Files.File, p.Files.FileOptions
		}
		cfg.Guests, cfg.Guest = nil, g.Name
		cfg.Password = func(kvmguests.Guest) sshcheck.PasswordSource { return p.Password }
		pr := preflight.Run(ctx, cfg)
		hc := HostCheck{Host: LocalHost, Counts: pr.Counts}
		for _, r := range pr.Results {
			if r.Status == preflight.Fail || r.Status == preflight.Warn {
				hc.Left = append(hc.Left, fmt.Sprintf("%s %s %s: %s", r.Status, r.Check, r.Target, r.Reason))
			}
		}
		checks[0] = hc
	})
	if p.HostPreflight != nil {
		checks = checks[:1+len(p.Files.Hosts)]
		for i, h := range p.Files.Hosts {
			wg.Go(func() { checks[1+i] = p.preflightOn(ctx, h, g) })
		}
	}
	wg.Wait()
	rep.Preflight = checks

	var left []string
	for _, hc := range checks {
		switch {
		case hc.Err != nil:
			left = append(left, hc.Host+": no report")
			rep.Next = append(rep.Next, "sfkvm preflight --guest "+g.Name+"   (on "+hc.Host+")")
		case len(hc.Left) > 0:
			left = append(left, fmt.Sprintf("%s: %d FAIL, %d WARN", hc.Host, hc.Counts.Fail, hc.Counts.Warn))
			rep.Next = append(rep.Next, "sfkvm preflight --guest "+g.Name+"   (on "+hc.Host+": the rows above)")
		}
	}
	detail := "for " + g.Name + " on " + count.N(len(checks), "host", "hosts")
	if len(left) == 0 {
		rep.step("preflight", OK, detail+": every row OK (or SKIP)", nil)
	} else {
		rep.step("preflight", Left, detail+"; left on "+strings.Join(left, "; "), nil)
	}
	if p.HostPreflight == nil && len(p.Files.Hosts) > 0 {
		rep.Next = append(rep.Next, "sfkvm preflight --guest "+g.Name+"   (on every other host)")
	}
}

// preflightOn runs preflight for g on host h over the run's connection,
// the password on stdin.
func (p Plan) preflightOn(ctx context.Context, h rotate.Host, g kvmguests.Guest) HostCheck {
	hp := *p.HostPreflight
	if hp.Program == "" {
		hp.Program = site.DefaultSFKVM
	}
	if hp.Timeout <= 0 {
		hp.Timeout = site.DefaultHostTimeout
	}
	file := h.File
	if file == "" {
		file = p.Files.File
	}
	if file == "" {
		file = kvmguests.DefaultPath
	}
	args := []string{"preflight", "--format=json", "--guest", g.Name, "-f", file, "--hostinfo", p.hostInfoPath()}
	var stdin []byte
	if hp.Key != "" {
		args = append(args, "--key", hp.Key)
	} else {
		pw := p.Password.Bytes()
		stdin = append(append(make([]byte, 0, len(pw)+1), pw...), '\n')
		defer clear(stdin)
		args = append(args, "--password-stdin")
	}
	if p.Port != 0 && p.Port != 22 {
		args = append(args, "--port", strconv.Itoa(p.Port))
	}
	if p.HostKnownHosts != "" {
		args = append(args, "--known-hosts", p.HostKnownHosts)
	}
	args = append(args, hp.Args...)
	hc := HostCheck{Host: h.Name}
	hctx, cancel := context.WithTimeout(ctx, hp.Timeout)
	defer cancel()
	r, err := p.Files.Connect(hctx, h.Name)
	if err != nil {
		hc.Err = err
		return hc
	}
	defer r.Close()
	stdout, stderr, status, err := r.RunInput(hctx, stdin, hp.Program, args...)
	if err != nil {
		hc.Err = cause(hctx, err)
		return hc
	}
	rp, err := site.ReadPreflight(hctx, h.Name, hp.Program, stdout, stderr, status)
	if err != nil {
		hc.Err = err
		return hc
	}
	hc.Counts = rp.Counts
	for _, r := range rp.Results {
		if r.Status == preflight.Fail || r.Status == preflight.Warn {
			hc.Left = append(hc.Left, fmt.Sprintf("%s %s %s: %s", r.Status, r.Check, r.Target, r.Reason))
		}
	}
	return hc
}
