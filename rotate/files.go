package rotate

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/sfkvm/sfkvm/internal/conflock"
	"github.com/sfkvm/sfkvm/kvmguests"
)

// Files is kvmguests.conf on this host and on every other host of a Plan,
// locked for one change that is not a rotation (sfkvm enroll adds a line,
// unenroll removes one), written the way Run writes: this host's file
// first, by compare and swap under its lock, then every other host's copy
// over the copy read when it was locked, each read back. A copy left
// behind is named with the command that finishes the job (Retry, with
// Previous set to OldHash).
//
// Only Plan.File, FileOptions, Hosts, Connect, Parallel, DryRun,
// CleanupTimeout, HostTimeout, LockLease and ResumeCommand are used.
type Files struct {
	p     Plan
	owner conflock.Owner
	held  []bool
	// Data is this host's file as read under its lock (nil when there
	// is none yet: the first guest of a site).
	Data []byte
	// OldHash is its SHA-256, or "none".
	OldHash string
	// Hosts is what every copy held when it was locked, this host's
	// first.
	Hosts []HostResult
}

// LockFiles takes the lock of this host's file and of every other host's
// copy for command (with Plan.DryRun it only checks that they could be
// taken and written), then reads this host's file. It fails, with every
// lock it took released, when a lock is held by another run
// (ErrLocked), a host is not reached (ErrHostNotReached) or not ready
// (ErrHostNotReady), or a copy differs from this host's file
// (ErrCopiesDiffer). A file missing on every host is the empty file.
func LockFiles(ctx context.Context, p Plan, command string) (f *Files, err error) {
	p = p.withDefaults()
	if err := p.checkHosts(); err != nil {
		return nil, err
	}
	owner, err := conflock.NewOwner(command, p.lease(ctx))
	if err != nil {
		return nil, err
	}
	f = &Files{p: p, owner: owner}
	defer func() {
		if err != nil {
			f.Release(ctx)
			f = nil
		}
	}()
	if !p.DryRun {
		if err := conflock.Acquire(ctx, p.File, owner); err != nil {
			owner.End()
			f.owner.Run = "" // nothing to release
			return f, fmt.Errorf("rotate: %w", err)
		}
	}
	c, err := kvmguests.ReadCopy(p.File)
	switch {
	case errors.Is(err, os.ErrNotExist):
		f.OldHash = "none"
	case err != nil:
		return f, err
	default:
		f.Data, f.OldHash = c.Data, hashOf(c.Data)
	}
	mode := "lock"
	if p.DryRun {
		mode = "check"
	}
	f.Hosts, f.held = acquireHosts(ctx, p, owner, mode, f.OldHash)
	if err := ctx.Err(); err != nil {
		return f, fmt.Errorf("rotate: stopped before anything changed: %w", cause(ctx, err))
	}
	for i := range f.Hosts[1:] {
		h := &f.Hosts[i+1]
		if f.OldHash == "none" && h.Err != nil && errors.Is(h.Err, errNoFile) {
			h.Err, h.Holds = nil, "old" // no copy anywhere yet: the same
		}
	}
	if f.OldHash == "none" {
		f.Hosts[0].Err, f.Hosts[0].Holds = nil, "old"
	}
	if err := hostsReady(f.Hosts[1:]); err != nil {
		return f, err
	}
	return f, nil
}

// Replace makes data every host's file: this host's first (only if it is
// still the file LockFiles read), then the others, each read back. err is
// non-nil only when this host's file was not replaced: then nothing
// changed anywhere. Otherwise hosts says what each copy holds, and resume
// is the command that finishes the job when some copy is not data ("" when
// every copy is). From this host's file on, the other hosts are written
// even when ctx ends (within CleanupTimeout).
func (f *Files) Replace(ctx context.Context, data []byte) (hosts []HostResult, resume string, err error) {
	p := f.p
	if p.DryRun {
		return nil, "", errors.New("rotate: Files.Replace in a dry run")
	}
	expect := f.OldHash
	if err := ctx.Err(); err != nil {
		return nil, "", context.Cause(ctx)
	}
	if err := conflock.Replace(ctx, p.File, f.owner, data, expect); err != nil {
		return nil, "", err
	}
	newHash := hashOf(data)
	cctx, cancel := cleanupContext(ctx, p)
	defer cancel()
	todo := make([]bool, len(p.Hosts))
	for i := range todo {
		todo[i] = true
	}
	wrote := writeHostsIf(cctx, p, data, f.owner.Run, todo, func(int) []string { return []string{expect} })
	rep := Report{Hosts: readHosts(cctx, p, expect, newHash)}
	markWrites(rep.Hosts, todo, wrote)
	rep.Hosts[0].Wrote = true
	if expect == "none" {
		expect = "" // Retry then accepts a copy that differs in tokens only
	}
	rep.setResume(p, expect)
	return rep.Hosts, rep.Resume, nil
}

// Release removes every lock this run took; the notes name a lock that
// stays until its lease ends (a host gone). Release is idempotent.
func (f *Files) Release(ctx context.Context) []string {
	if f == nil || f.owner.Run == "" {
		return nil
	}
	defer f.owner.End()
	var notes []string
	if !f.p.DryRun {
		notes = releaseAll(ctx, f.p, f.owner, f.held)
	}
	f.owner.Run = ""
	return notes
}
