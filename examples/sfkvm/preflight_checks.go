package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sfkvm/sfkvm/diag"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/sdfacility"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// preflightEnv is everything preflight reaches out to. The command fills it
// from its flags and this machine; the demo and the tests fill it with a lab.
type preflightEnv struct {
	conf     string            // kvmguests.conf
	confOpts kvmguests.Options // AllowSealed with --key

	prober    *sshcheck.Prober
	guestPort int
	// password returns the login password of a guest; nil when none was
	// given (then only host keys are checked).
	password func(kvmguests.Guest) sshcheck.PasswordSource

	local     sdfacility.Runner // runs sdtool, cftool, sfkvmtool here
	sdtool    string
	cftool    string
	sfkvmtool string // "" when the vendor's checker is not installed

	store    migratesetup.Store // nil when libvirt cannot be reached
	storeErr error              // why not
	hostinfo string             // this host's registration file

	hosts      []string // the other hosts, as this host reaches them
	hostTarget func(addr string) sshcheck.Target

	parallel int
}

// preflight runs every check and returns the rows in the procedure's order.
func preflight(ctx context.Context, pe *preflightEnv) []row {
	cfg, confRows := checkConfig(pe)
	var guests []kvmguests.Guest
	if cfg != nil {
		guests = cfg.Guests()
	}
	tasks := []task{
		func(ctx context.Context) []row { return confRows },
		func(ctx context.Context) []row { return checkVendorTool(ctx, pe) },
		func(ctx context.Context) []row { return checkCopies(ctx, pe) },
		func(ctx context.Context) []row { return checkFacility(ctx, pe) },
		func(ctx context.Context) []row { return checkRegistration(ctx, pe) },
		func(ctx context.Context) []row { return checkHere(ctx, pe, cfg, guests) },
	}
	// This host's registered address: where the guests log in to it (step 5).
	stepFiveHosts := slices.Clone(pe.hosts)
	if info, err := migratesetup.ReadFile(ctx, pe.hostinfo); err == nil {
		stepFiveHosts = append([]string{info.IP.String()}, stepFiveHosts...)
	}
	for i, g := range guests {
		tasks = append(tasks, func(ctx context.Context) []row { return checkGuest(ctx, pe, i, g, stepFiveHosts) })
	}
	if cfg == nil {
		tasks = append(tasks, func(context.Context) []row {
			return []row{{Step: "1.5", Check: "guests", Target: pe.conf, Verdict: verdictSkip, Reason: "no readable kvmguests.conf, so no guests to check", sec: secHostKey}}
		})
	}
	return runTasks(ctx, pe.parallel, tasks)
}

// checkConfig: steps 1.4 and 1.6, our check of the file, and its owner and
// mode (step 1.4).
func checkConfig(pe *preflightEnv) (*kvmguests.Config, []row) {
	base := row{Step: "1.4", Check: "kvmguests.conf", Target: pe.conf, sec: secConfig}
	cfg, diags, err := kvmguests.ReadFile(pe.conf, pe.confOpts)
	if err != nil {
		base.Verdict, base.Reason = verdictFail, err.Error()
		base.Fix = "write the file on every host (manual step 1.4); sfkvm check -f FILE checks it"
		return nil, []row{base}
	}
	mode := row{Step: "1.4", Check: "owner and mode", Target: pe.conf, Verdict: verdictOK, Reason: "root, 0600", sec: secFileMode}
	if pe.confOpts.SkipFileChecks {
		mode.Verdict, mode.Reason = verdictSkip, "not checked (--no-perm)"
	}
	var content diag.Diagnostics
	for _, d := range diags {
		if kvmguests.IsFileProblem(d.Code) {
			mode.Verdict, mode.Reason = verdictFail, joinReason(mode, d.Message)
			mode.Fix = fmt.Sprintf("chown root:root %s && chmod 600 %s", pe.conf, pe.conf)
		} else {
			content = append(content, d)
		}
	}
	errs, warns := content.Count(diag.Error), content.Count(diag.Warning)
	n := len(cfg.Guests())
	switch {
	case errs > 0:
		base.Verdict = verdictFail
		base.Reason = fmt.Sprintf("%d errors, %d warnings; first: %s", errs, warns, firstOf(content, diag.Error))
		base.Fix = "sfkvm check -f " + pe.conf + " lists every problem with its line and column"
	case warns > 0:
		base.Verdict = verdictWarn
		base.Reason = fmt.Sprintf("%d guests, %d warnings; first: %s", n, warns, firstOf(content, diag.Warning))
		base.Fix = "sfkvm check -f " + pe.conf + " lists them"
	default:
		base.Verdict, base.Reason = verdictOK, fmt.Sprintf("%d guests, no problem", n)
	}
	return cfg, []row{base, mode}
}

func joinReason(r row, msg string) string {
	if r.Verdict == verdictFail {
		return r.Reason + "; " + msg
	}
	return msg
}

func firstOf(ds diag.Diagnostics, s diag.Severity) string {
	for _, d := range ds {
		if d.Severity == s {
			return fmt.Sprintf("line %d: %s: %s", d.Line, d.Code, d.Message)
		}
	}
	return ""
}

// checkVendorTool: step 1.6 with the vendor's own checker, shown beside
// ours when it is installed.
func checkVendorTool(ctx context.Context, pe *preflightEnv) []row {
	r := row{Step: "1.6", Check: "sfkvmtool -c", Target: pe.conf, sec: secVendorCheck}
	switch {
	case pe.sfkvmtool == "":
		r.Verdict, r.Reason = verdictSkip, "sfkvmtool is not installed (PRIMECLUSTER is not on this machine); only sfkvm's check ran"
		return []row{r}
	case pe.conf != kvmguests.DefaultPath:
		// sfkvmtool takes no file name: its verdict would be about another file.
		r.Verdict, r.Reason = verdictSkip, "sfkvmtool -c checks only "+kvmguests.DefaultPath+", not "+pe.conf
		return []row{r}
	}
	stdout, stderr, status, err := pe.local.Run(ctx, pe.sfkvmtool, "-c")
	// The tool's words, escaped and cut: never its raw bytes.
	detail := "stdout " + sdfacility.Excerpt(stdout) + "\nstderr " + sdfacility.Excerpt(stderr)
	switch {
	case err != nil:
		r.Verdict, r.Reason = verdictFail, "could not run "+pe.sfkvmtool+": "+err.Error()
		r.Detail = detail
	case status == 0 && strings.Contains(string(stdout), kvmguests.SuccessNotice):
		r.Verdict, r.Reason = verdictOK, kvmguests.SuccessNotice
	default:
		r.Verdict = verdictFail
		r.Reason = fmt.Sprintf("sfkvmtool -c exited %d without the success notice", status)
		r.Detail = detail
		r.Fix = "read sfkvmtool's message; sfkvm check -f " + pe.conf + " points at lines and columns"
	}
	return []row{r}
}

// checkCopies: step 1.4, the file is byte-identical on every host.
func checkCopies(ctx context.Context, pe *preflightEnv) []row {
	if len(pe.hosts) == 0 {
		return []row{{Step: "1.4", Check: "same on every host", Target: "(other hosts)", Verdict: verdictSkip,
			Reason: "no --hosts given: the copies on the other hosts were not compared", sec: secCopies}}
	}
	mine, err := kvmguests.ReadCopy(pe.conf) // a regular file, bounded: never a FIFO or /dev/zero
	if err != nil {
		return []row{{Step: "1.4", Check: "same on every host", Target: "(other hosts)", Verdict: verdictSkip,
			Reason: "this host's file cannot be read: " + err.Error(), sec: secCopies}}
	}
	var rows []row
	for i, h := range pe.hosts {
		r := row{Step: "1.4", Check: "same on every host", Target: h, sec: secCopies, index: i}
		theirs, err := fetchFromHost(ctx, pe, h, pe.conf, kvmguests.MaxSize)
		if err != nil {
			r.Verdict, r.Reason = verdictFail, "could not read its copy: "+err.Error()
			r.Fix = hostFix(err)
			rows = append(rows, r)
			continue
		}
		c := kvmguests.Compare(kvmguests.Copy{Name: "this host:" + pe.conf, Data: mine.Data}, kvmguests.Copy{Name: h + ":" + pe.conf, Data: theirs})
		if c.Identical {
			r.Verdict, r.Reason = verdictOK, "byte-identical"
		} else {
			r.Verdict, r.Reason, r.Detail = verdictFail, "differs from this host's copy", c.Diff
			r.Fix = fmt.Sprintf("make the copies identical: scp -p %s %s:%s", pe.conf, h, pe.conf)
		}
		rows = append(rows, r)
	}
	return rows
}

// fetchFromHost reads a file on another host over SSH, as root there or
// through sudo. The copy may be at most limit bytes, the size limit of the
// file itself (kvmguests.MaxSize, migratesetup.MaxFileSize): a host that
// answers with more ends the session at that cap.
func fetchFromHost(ctx context.Context, pe *preflightEnv, host, path string, limit int64) ([]byte, error) {
	c, err := pe.prober.Dial(ctx, pe.hostTarget(host))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	stdout, stderr, status, err := c.RunLimited(ctx, sshcheck.Limits{MaxStdout: limit}, "cat", "--", path)
	if err != nil {
		return nil, err
	}
	if status != 0 {
		msg := sshcheck.QuoteRemote(stderr)
		if bytes.Contains(stderr, []byte("No such file")) {
			return nil, fmt.Errorf("%w: %s", errRemoteMissing, msg)
		}
		return nil, fmt.Errorf("cat %s exited %d: %s", path, status, msg)
	}
	return stdout, nil
}

// errRemoteMissing: the file is not on the other host.
var errRemoteMissing = errors.New("no such file on the host")

func hostFix(err error) string {
	var se *sshcheck.Error
	if errors.As(err, &se) && se.Hint != "" {
		return se.Hint
	}
	return "check that this host can log in to it with --host-user (and --host-password-file)"
}

// checkFacility: step 1.7, the shutdown facility on this host is ready.
func checkFacility(ctx context.Context, pe *preflightEnv) []row {
	r := row{Step: "1.7", Check: "shutdown facility", Target: "this host", sec: secFacility}
	f := sdfacility.Facility{Runner: pe.local, SDTool: pe.sdtool}
	st, err := f.Status(ctx)
	switch {
	case errors.Is(err, sdfacility.ErrToolMissing):
		r.Verdict, r.Reason = verdictSkip, "sdtool is not installed ("+pe.sdtool+"): PRIMECLUSTER is not on this machine"
	case err != nil:
		r.Verdict, r.Reason, r.Fix = verdictFail, err.Error(), "sfkvm sd status shows what sdtool said"
	case st.Ready():
		r.Verdict, r.Reason = verdictOK, fmt.Sprintf("%d agents initialised and tested", len(st.Agents))
	default:
		r.Verdict, r.Reason = verdictFail, st.Summary()
		r.Fix = "sfkvm sd restart (sdtool -e, then sdtool -b) and wait for every agent; a failed agent needs its configuration (rcsd.cfg) fixed"
		if ae := st.FirstFailure(); ae != nil {
			r.Fix = fmt.Sprintf("agent %s of node %s reads %s; check its settings in rcsd.cfg and the host it targets, then sfkvm sd restart", ae.Agent, ae.Node, ae.State)
		}
	}
	return []row{r}
}

// checkRegistration: step 2, this host registered, and the weight link the
// same on every host.
func checkRegistration(ctx context.Context, pe *preflightEnv) []row {
	reg := row{Step: "2", Check: "host registered", Target: pe.hostinfo, sec: secRegistered}
	info, err := migratesetup.ReadFile(ctx, pe.hostinfo)
	if err != nil {
		reg.Verdict, reg.Reason = verdictFail, err.Error()
		reg.Fix = "sfkvm migratesetup -c -i HOSTIP [-w off] (the vendor's sfkvmmigratesetup -c)"
		return []row{reg, {Step: "2", Check: "weight link", Target: "(every host)", Verdict: verdictSkip,
			Reason: "this host is not registered", sec: secWeightLink}}
	}
	reg.Verdict, reg.Reason = verdictOK, fmt.Sprintf("%s at %s, weight link %s", info.CFName, info.IP, info.WeightLink())
	if name, err := (sdfacility.CFTool{Runner: pe.local, Path: pe.cftool}).LocalNodeName(ctx); err == nil && name != info.CFName {
		reg.Verdict = verdictFail
		reg.Reason = fmt.Sprintf("registered as %s, but cftool -l says this host is %s", info.CFName, name)
		reg.Fix = "sfkvm migratesetup -c -i " + info.IP.String() + " again (it reads cftool -l)"
	}
	w := row{Step: "2", Check: "weight link", Target: "(every host)", sec: secWeightLink}
	if len(pe.hosts) == 0 {
		w.Verdict, w.Reason = verdictSkip, "no --hosts given: the other hosts' -w setting was not compared"
		return []row{reg, w}
	}
	regs := []migratesetup.Registration{{Host: "this host", Info: info}}
	for _, h := range pe.hosts {
		b, err := fetchFromHost(ctx, pe, h, pe.hostinfo, migratesetup.MaxFileSize)
		if err != nil {
			w.Verdict, w.Reason, w.Fix = verdictFail, h+": "+err.Error(), hostFix(err)
			if errors.Is(err, errRemoteMissing) {
				w.Fix = "register every host: sfkvm migratesetup -c -i HOSTIP on " + h
			}
			return []row{reg, w}
		}
		hi, err := migratesetup.Parse(bytes.NewReader(b), h+":"+pe.hostinfo)
		if err != nil {
			w.Verdict, w.Reason, w.Fix = verdictFail, err.Error(), "register "+h+" again: sfkvm migratesetup -c -i HOSTIP"
			return []row{reg, w}
		}
		regs = append(regs, migratesetup.Registration{Host: h, Info: hi})
	}
	if err := migratesetup.Compare(regs); err != nil {
		w.Verdict, w.Reason = verdictFail, err.Error()
		w.Fix = "register every host with the same -w setting (sfkvm migratesetup -c -i HOSTIP [-w off])"
	} else {
		w.Verdict, w.Reason = verdictOK, fmt.Sprintf("weight link %s, the same on all %d hosts", info.WeightLink(), len(regs))
	}
	return []row{reg, w}
}

// checkHere: for the guests that run on this host, step 1.1 (host-cfname is
// this host's CF node name) and step 3 (the guest is set up).
func checkHere(ctx context.Context, pe *preflightEnv, cfg *kvmguests.Config, guests []kvmguests.Guest) []row {
	if cfg == nil {
		return nil
	}
	if pe.store == nil {
		reason := "libvirt cannot be reached"
		if pe.storeErr != nil {
			reason += ": " + pe.storeErr.Error()
		}
		return []row{
			{Step: "1.1", Check: "host-cfname", Target: "(guests here)", Verdict: verdictSkip, Reason: reason, sec: secHostCFName},
			{Step: "3", Check: "guest set up", Target: "(guests here)", Verdict: verdictSkip, Reason: reason, sec: secGuestSetup},
		}
	}
	running, err := runningDomains(ctx, pe.store)
	if err != nil {
		return []row{{Step: "3", Check: "guest set up", Target: "(guests here)", Verdict: verdictFail, Reason: "listing domains: " + err.Error(), sec: secGuestSetup}}
	}
	hostName, nameErr := (sdfacility.CFTool{Runner: pe.local, Path: pe.cftool}).LocalNodeName(ctx)
	var rows []row
	here := 0
	for i, g := range guests {
		if !running[g.Name] {
			continue
		}
		here++
		h := row{Step: "1.1", Check: "host-cfname", Target: g.Name, sec: secHostCFName, index: i}
		switch {
		case nameErr != nil:
			h.Verdict, h.Reason = verdictSkip, "cftool -l on this host: "+nameErr.Error()
		case hostName == g.HostCFName:
			h.Verdict, h.Reason = verdictOK, "runs here, on "+hostName
		default:
			h.Verdict = verdictFail
			h.Reason = fmt.Sprintf("runs on this host, %s, but kvmguests.conf says %s", hostName, g.HostCFName)
			h.Fix = fmt.Sprintf("set host-cfname of %s to %s on every host's copy", g.Name, hostName)
		}
		s := row{Step: "3", Check: "guest set up", Target: g.Name, sec: secGuestSetup, index: i}
		xml, err := pe.store.InactiveXML(ctx, g.Name)
		if err == nil {
			var edit migratesetup.Edit
			edit, err = migratesetup.AddHostInfoDisk(xml, pe.hostinfo)
			switch {
			case err != nil:
			case edit.Changed:
				s.Verdict, s.Reason = verdictFail, "no host information disk: after a migration it cannot learn its new host"
				s.Fix = "sfkvm migratesetup -s " + g.Name + " --restart (stops it, sets it up, starts it)"
			default:
				s.Verdict, s.Reason = verdictOK, "host information disk "+edit.Target
			}
		}
		if err != nil {
			s.Verdict, s.Reason = verdictFail, err.Error()
			s.Fix = "sfkvm migratesetup -s " + g.Name + " --dry-run shows the change"
		}
		rows = append(rows, h, s)
	}
	if here == 0 {
		rows = append(rows, row{Step: "3", Check: "guest set up", Target: "(guests here)", Verdict: verdictSkip,
			Reason: "none of the file's guests runs on this host", sec: secGuestSetup})
	}
	return rows
}

func runningDomains(ctx context.Context, s migratesetup.Store) (map[string]bool, error) {
	names, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	running := map[string]bool{}
	for _, n := range names {
		if st, err := s.State(ctx, n); err == nil && st == migratesetup.StateRunning {
			running[n] = true
		}
	}
	return running, nil
}
