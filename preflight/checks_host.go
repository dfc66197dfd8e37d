package preflight

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/sfkvm/sfkvm/internal/count"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/sdfacility"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// ErrRemoteMissing: a file to compare is not on the other host.
var ErrRemoteMissing = errors.New("no such file on the host")

// fetch reads a file on another host over SSH, as root there or through
// sudo. The copy may be at most limit bytes, the size limit of the file
// itself (kvmguests.MaxSize, migratesetup.MaxFileSize): a host that answers
// with more ends the session at that cap.
func (p *pass) fetch(ctx context.Context, host sshcheck.Target, path string, limit int64) ([]byte, error) {
	if p.proberErr != nil {
		return nil, p.proberErr
	}
	c, err := p.hostProber().Dial(ctx, host)
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
			return nil, fmt.Errorf("%w: %s", ErrRemoteMissing, msg)
		}
		return nil, fmt.Errorf("cat %s exited %d: %s", path, status, msg)
	}
	return stdout, nil
}

// hostFix says what to do when another host cannot be read.
func hostFix(err error, h sshcheck.Target) string {
	var se *sshcheck.Error
	if errors.As(err, &se) && se.Hint != "" {
		return se.Hint
	}
	return fmt.Sprintf("check that this host can log in to %s as %s", h.Address, h.User)
}

// runFacility: step 1.7, the shutdown facility on this host is ready.
func runFacility(ctx context.Context, p *pass) []Result {
	r := Result{Target: "this host"}
	f := sdfacility.Facility{Runner: p.cfg.Local, SDTool: p.cfg.SDTool}
	st, err := f.Status(ctx)
	switch {
	case errors.Is(err, sdfacility.ErrToolMissing):
		r.Status, r.Reason, r.Err = Skip, "sdtool is not installed ("+p.cfg.SDTool+"): PRIMECLUSTER is not on this machine", err
	case err != nil:
		r.Status, r.Reason, r.Err, r.Fix = Fail, err.Error(), err, "sfkvm sd status shows what sdtool said"
	case st.Ready():
		r.Status, r.Reason = OK, count.N(len(st.Agents), "agent", "agents")+" initialised and tested"
	default:
		r.Status, r.Reason = Fail, st.Summary()
		r.Fix = "sfkvm sd restart (sdtool -e, then sdtool -b) and wait for every agent; a failed agent needs its configuration (rcsd.cfg) fixed"
		if ae := st.FirstFailure(); ae != nil {
			r.Fix = fmt.Sprintf("agent %s of node %s reads %s; check its settings in rcsd.cfg and the host it targets, then sfkvm sd restart", ae.Agent, ae.Node, ae.State)
		}
	}
	return []Result{r}
}

// runRegistered: step 2, this host registered under its CF node name.
func runRegistered(ctx context.Context, p *pass) []Result {
	r := Result{Target: p.cfg.HostInfo}
	if p.infoErr != nil {
		r.Status, r.Reason, r.Err = Fail, p.infoErr.Error(), p.infoErr
		r.Fix = "sfkvm migratesetup -c -i HOSTIP [-w off] (the vendor's sfkvmmigratesetup -c)"
		return []Result{r}
	}
	info := p.info
	r.Status, r.Reason = OK, fmt.Sprintf("%s at %s, weight link %s", info.CFName, info.IP, info.WeightLink())
	if name, err := (sdfacility.CFTool{Runner: p.cfg.Local, Path: p.cfg.CFTool}).LocalNodeName(ctx); err == nil && name != info.CFName {
		r.Status = Fail
		r.Reason = fmt.Sprintf("registered as %s, but cftool -l says this host is %s", info.CFName, name)
		r.Fix = "sfkvm migratesetup -c -i " + info.IP.String() + " again (it reads cftool -l)"
	}
	return []Result{r}
}

// runWeightLink: step 2, the weight link the same on every host.
func runWeightLink(ctx context.Context, p *pass) []Result {
	r := Result{Target: "(every host)"}
	switch {
	case p.infoErr != nil:
		r.Status, r.Reason = Skip, "this host is not registered"
		return []Result{r}
	case len(p.cfg.Hosts) == 0:
		r.Status, r.Reason = Skip, "no other hosts given: their -w setting was not compared"
		return []Result{r}
	}
	regs := []migratesetup.Registration{{Host: "this host", Info: p.info}}
	for _, h := range p.cfg.Hosts {
		b, err := p.fetch(ctx, h, p.cfg.HostInfo, migratesetup.MaxFileSize)
		if err != nil {
			r.Status, r.Reason, r.Err, r.Fix = Fail, h.Address+": "+err.Error(), err, hostFix(err, h)
			if errors.Is(err, ErrRemoteMissing) {
				r.Fix = "register every host: sfkvm migratesetup -c -i HOSTIP on " + h.Address
			}
			return []Result{r}
		}
		hi, err := migratesetup.Parse(bytes.NewReader(b), h.Address+":"+p.cfg.HostInfo)
		if err != nil {
			r.Status, r.Reason, r.Err, r.Fix = Fail, err.Error(), err, "register "+h.Address+" again: sfkvm migratesetup -c -i HOSTIP"
			return []Result{r}
		}
		regs = append(regs, migratesetup.Registration{Host: h.Address, Info: hi})
	}
	if err := migratesetup.Compare(regs); err != nil {
		r.Status, r.Reason, r.Err = Fail, err.Error(), err
		r.Fix = "register every host with the same -w setting (sfkvm migratesetup -c -i HOSTIP [-w off])"
	} else {
		r.Status, r.Reason = OK, fmt.Sprintf("weight link %s, the same on %s", p.info.WeightLink(), count.All(len(regs), "host", "hosts"))
	}
	return []Result{r}
}

// hostProber is the prober for the other hosts: their own when the
// caller keeps their keys apart (Config.HostProber), else the guests'.
func (p *pass) hostProber() *sshcheck.Prober {
	if p.cfg.HostProber != nil {
		return p.cfg.HostProber
	}
	return p.prober
}
