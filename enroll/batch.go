package enroll

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/count"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/rotate"
	"github.com/sfkvm/sfkvm/sshcheck"
	"golang.org/x/crypto/ssh"
)

// DefaultParallel is how many guests RunBatch works on at once when
// Batch.Parallel is 0: as many as rotate's.
const DefaultParallel = 8

// Member is one guest of a Batch: what differs from guest to guest. The
// rest is the Batch's Plan.
type Member struct {
	Address netip.Addr
	// User is guest_user; "" means Plan.User.
	User string
	// Password is its new password (cipher.CheckPassword); an empty one
	// means Plan.Password.
	Password cipher.Secret
	// Given overrides the facts read; an empty field falls back to
	// Plan.Given's, then to reading it.
	Given Facts
	// GuestKeyFingerprint confirms the guest's host key; "" means
	// Plan.GuestKeyFingerprint.
	GuestKeyFingerprint string
}

// Batch enrolls many guests in one run: Plan holds what they share (the
// administrator's login, the token kind, the hosts and their files, the
// keys of step 5, DryRun, Preflight); each Member what is its own. Plan's
// Address, and its User, Password, Given and GuestKeyFingerprint where a
// Member sets them, are not used.
type Batch struct {
	Plan
	Members []Member
	// Parallel bounds the guests worked on at once in their own steps
	// (key, login, facts, user, password, sudoers, proof, token, step 5,
	// disk, preflight); 0 means DefaultParallel.
	Parallel int
}

// plan is m's Plan: the Batch's with m's own values.
func (b Batch) plan(m Member) Plan {
	p := b.Plan
	p.Address = m.Address
	if m.User != "" {
		p.User = m.User
	}
	if len(m.Password.Bytes()) > 0 {
		p.Password = m.Password
	}
	if m.GuestKeyFingerprint != "" {
		p.GuestKeyFingerprint = m.GuestKeyFingerprint
	}
	for _, f := range []struct {
		dst *string
		v   string
	}{
		{&p.Given.Domain, m.Given.Domain}, {&p.Given.HostCFName, m.Given.HostCFName},
		{&p.Given.ClusterName, m.Given.ClusterName}, {&p.Given.CFName, m.Given.CFName},
	} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	return p.withDefaults()
}

// member is one guest on its way through RunBatch.
type member struct {
	p        Plan
	rep      *Report
	key      ssh.PublicKey
	tmpDir   string
	prober   *sshcheck.Prober
	ac       *sshcheck.Client
	pl       Placement
	g        kvmguests.Guest
	existing bool // the file holds the guest's line already (same facts)
	same     bool // and the same token: the line does not change
	undo     func()
	ok       bool // no step failed so far
}

// fail records a failed step and takes back what the run did on the
// guest.
func (m *member) fail(step, detail string, err error) {
	m.rep.step(step, Failed, detail, err)
	m.ok = false
	if m.undo != nil {
		m.undo()
		m.undo = nil
	}
}

// RunBatch enrolls every Member in one run. Each guest's own steps run as
// Run's do, Parallel guests at once; kvmguests.conf is locked once on
// every host and written once, with the lines of every guest that got
// through its own steps; the guests' keys are recorded on each host in
// one round, the hosts' keys (Plan.GuestKnows) in each guest in one
// round. A guest that fails a step is left out of the file, what the run
// did on it taken back as Run does, and the others go on: the report has
// a Report per Member, in order, and says which guests the file holds.
// Should the lock or this host's write fail, or the run be interrupted
// before the write, no copy changes and every guest's changes are taken
// back; from this host's write on every host gets every landed line (a
// host left behind is named with the command that finishes it).
func RunBatch(ctx context.Context, b Batch) (rep BatchReport) {
	start := time.Now()
	rep = BatchReport{DryRun: b.DryRun}
	b.Plan = b.Plan.withDefaults()
	if b.Parallel < 1 {
		b.Parallel = DefaultParallel
	}
	ms := make([]*member, len(b.Members))
	for i, mb := range b.Members {
		p := b.plan(mb)
		ms[i] = &member{p: p, ok: true, undo: func() {}, rep: &Report{Command: "enroll", DryRun: p.DryRun, Address: p.Address.String(), User: p.User}}
	}
	defer func() {
		for i, m := range ms {
			if m.ac != nil {
				m.ac.Close()
			}
			if m.tmpDir != "" {
				os.RemoveAll(m.tmpDir)
			}
			m.rep.Seconds = time.Since(start).Seconds()
			m.rep.redact(m.p.Password.Bytes())
			rep.Guests = append(rep.Guests, *ms[i].rep)
		}
		rep.Seconds = time.Since(start).Seconds()
	}()
	if len(ms) == 0 {
		rep.Err = fmt.Errorf("%w: no guests", ErrPlan)
		return rep
	}

	// 1-4. Each guest's key, login and facts: nothing changes yet.
	each(ms, b.Parallel, func(m *member) { m.prepare(ctx) })
	batchDuplicates(ms)
	if !slices.ContainsFunc(ms, func(m *member) bool { return m.ok }) {
		rep.Err = errors.New("no guest got through its own steps: no copy changed")
		return rep
	}

	// 5. Every host's copy locked once, the lines checked against it.
	files, err := rotate.LockFiles(ctx, b.Files, "enroll")
	if err != nil {
		rep.Err = err
		for _, m := range ms {
			if m.ok {
				m.fail("lock", "kvmguests.conf on every host", err)
			}
		}
		return rep
	}
	defer func() { rep.Notes = append(rep.Notes, files.Release(ctx)...) }()
	cfg := &kvmguests.Config{}
	if files.Data != nil {
		cfg, _ = parse(files.Data, b.Files)
	}
	detail := count.N(len(files.Hosts), "copy", "copies") + " identical, locked"
	if b.DryRun {
		detail = count.N(len(files.Hosts), "copy", "copies") + " identical, lockable"
	}
	for _, m := range ms {
		if !m.ok {
			continue
		}
		_, existing, err := m.p.place(files.Data, m.g)
		if err != nil {
			m.fail("lock", "", err)
			continue
		}
		m.existing = existing != nil
		m.rep.step("lock", OK, detail, nil)
	}

	// 6-7. Each guest's user, password, sudoers, proof and token.
	if err := ctx.Err(); err != nil {
		rep.Err = context.Cause(ctx)
		for _, m := range ms {
			if m.ok {
				m.fail("guest", "interrupted before the guest changed; nothing changed", context.Cause(ctx))
			}
		}
		return rep
	}
	each(ms, b.Parallel, func(m *member) { m.guestSide(ctx, cfg) })

	// 8. Host keys both ways, one round per host and per guest.
	b.recordKeys(ctx, ms)

	// 9. Every host's file, once.
	var landed []*member
	for _, m := range ms {
		if m.ok {
			landed = append(landed, m)
		}
	}
	undoAll := func(step, detail string, err error) {
		each(landed, b.Parallel, func(m *member) { m.fail(step, detail, err) })
	}
	for _, m := range landed {
		if !setLine(cfg, m.g) {
			cfg.Add(m.g)
		}
	}
	data, err := marshalIf(cfg, files.Data, len(landed) > 0, b.Plan)
	if err != nil {
		rep.Err = err
		undoAll("file", "", err)
		return rep
	}
	rep.Diff = kvmguests.Compare(kvmguests.Copy{Name: "kvmguests.conf (before)", Data: files.Data},
		kvmguests.Copy{Name: "kvmguests.conf (after)", Data: data}).Diff
	switch {
	case len(landed) == 0:
		rep.Err = errors.New("no guest got through its own steps: no copy changed")
	case bytes.Equal(data, files.Data):
		for _, m := range landed {
			m.rep.step("file", Already, "every host holds the line", nil)
		}
	case b.DryRun:
		for _, m := range landed {
			st, what := Would, "write the line on "+count.N(len(files.Hosts), "host", "hosts")
			if m.same {
				st, what = Already, "every host holds the line"
			}
			m.rep.step("file", st, what, nil)
		}
	default:
		if err := ctx.Err(); err != nil {
			rep.Err = context.Cause(ctx)
			undoAll("file", "interrupted before any copy changed", context.Cause(ctx))
			return rep
		}
		beforeFile()
		hosts, resume, err := files.Replace(ctx, data)
		if err != nil {
			rep.Err = err
			undoAll("file", "this host's file was not replaced; no copy changed", err)
			return rep
		}
		rep.Hosts, rep.Resume = hosts, resume
		for _, m := range landed {
			if m.same {
				m.rep.step("file", Already, "every host held the line", nil)
				continue
			}
			if resume != "" {
				m.rep.step("file", Done, "in this host's file; some hosts are left behind: see the batch's resume command", nil)
			} else {
				m.rep.step("file", Done, count.N(len(hosts), "copy", "copies")+" written and read back", nil)
			}
		}
	}
	for _, m := range landed {
		m.rep.Line = lineText(m.g)
	}
	if rep.Err != nil || rep.Resume != "" {
		return rep
	}

	// 10-11. Each guest's disk, and preflight.
	each(landed, b.Parallel, func(m *member) {
		m.p.disk(ctx, m.g, m.pl, m.rep)
		m.p.preflight(ctx, m.g, m.rep)
	})
	return rep
}

// each runs f on every member that has not failed, n at once.
func each(ms []*member, n int, f func(*member)) {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, m := range ms {
		if !m.ok {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			f(m)
		}()
	}
	wg.Wait()
}

// prepare is Run's steps 1 to 4 for one guest, the lock aside: the
// password's policy, the guest's key, the administrator's login, the
// facts. Nothing changes.
func (m *member) prepare(ctx context.Context) {
	p, rep := m.p, m.rep
	if p.Given.Domain != "" {
		rep.Facts.Domain = Fact{p.Given.Domain, "given"} // the row's name, also when a step before the facts fails
	}
	if err := p.check(); err != nil {
		m.fail("plan", "", err)
		return
	}
	if err := cipher.CheckPassword(p.Password.Bytes()); err != nil {
		m.fail("policy", "", err)
		return
	}
	rep.step("policy", OK, "the new password passes the policy of step 1.2", nil)
	rep.SudoersFile = sudoersFile(p.User)
	if p.User != "root" {
		rep.Sudoers = SudoersRule(p.User, p.SudoCommands)
	}
	key, tmpDir, err := p.guestKey(ctx, rep)
	m.key, m.tmpDir = key, tmpDir
	if err != nil {
		m.ok = false
		return
	}
	opts := p.SSH
	opts.KnownHostsFiles = []string{filepath.Join(tmpDir, "known_hosts")}
	opts.GlobalKnownHostsFiles = []string{}
	opts.HostKeyPolicy = sshcheck.Strict
	if m.prober, err = sshcheck.New(opts); err != nil {
		m.fail("login", "", err)
		return
	}
	ac, err := m.prober.Dial(ctx, p.adminTarget())
	if err == nil {
		if err = ac.CheckSudo(ctx); err != nil {
			ac.Close()
		}
	}
	if err != nil {
		m.fail("login", "as "+p.Admin.User, cause(ctx, err))
		return
	}
	m.ac = ac
	rep.step("login", OK, "as "+p.Admin.User+sudoNote(p.Admin.User), nil)
	if m.pl, err = p.readFacts(ctx, ac, rep); err != nil {
		m.fail("facts", "", cause(ctx, err))
		return
	}
	m.g = kvmguests.Guest{Name: rep.Facts.Domain.Value, HostCFName: rep.Facts.HostCFName.Value,
		ClusterName: rep.Facts.ClusterName.Value, CFName: rep.Facts.CFName.Value, IP: p.Address, User: p.User}
}

// batchDuplicates fails the later of two guests of the batch with the
// same guest-name, guest_IP or (cluster, CF name): both lines could not
// be in one file.
func batchDuplicates(ms []*member) {
	for i, m := range ms {
		if !m.ok {
			continue
		}
		for _, o := range ms[:i] {
			if !o.ok {
				continue // no facts, or left out already
			}
			if o.g.Name == m.g.Name || o.g.IP == m.g.IP || o.g.ClusterName == m.g.ClusterName && o.g.CFName == m.g.CFName {
				m.fail("lock", "", fmt.Errorf("%w: the batch names it twice (%s and %s); give each guest once", ErrDuplicate, o.rep.Address, m.rep.Address))
				break
			}
		}
	}
}

// guestSide is Run's steps 6 and 7 for one guest: the user, password,
// sudoers and proof, then the token (kept when the file's line holds one
// of this password).
func (m *member) guestSide(ctx context.Context, cfg *kvmguests.Config) {
	if err := ctx.Err(); err != nil {
		m.fail("guest", "interrupted before the guest changed; nothing changed", context.Cause(ctx))
		return
	}
	undo, ok := m.p.guestSteps(ctx, m.ac, m.prober, m.rep)
	if !ok {
		m.ok = false
		return
	}
	m.undo = undo
	var existing *kvmguests.Guest
	if m.existing {
		existing = lineOf(cfg, m.g.Name)
	}
	token, ok := m.p.token(ctx, m.g, existing, m.rep)
	if !ok {
		m.ok = false
		m.undo()
		m.undo = nil
		return
	}
	m.g.Password = kvmguests.Token(token)
	m.same = existing != nil && existing.Password.Reveal() == token
}

// lineOf is the guest line of cfg called name, or nil.
func lineOf(cfg *kvmguests.Config, name string) *kvmguests.Guest {
	for _, l := range cfg.Lines {
		if l.Guest != nil && l.Guest.Name == name {
			return l.Guest
		}
	}
	return nil
}

// setLine replaces the line of g's name in cfg by g; false when there is
// none.
func setLine(cfg *kvmguests.Config, g kvmguests.Guest) bool {
	if o := lineOf(cfg, g.Name); o != nil {
		*o = g
		return true
	}
	return false
}

// marshalIf is the new file, or the old one when no guest landed.
func marshalIf(cfg *kvmguests.Config, old []byte, any bool, p Plan) ([]byte, error) {
	if !any {
		return old, nil
	}
	return kvmguests.Marshal(cfg, p.Files.File, p.Files.FileOptions)
}
