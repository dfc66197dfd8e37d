package rpcstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/digitalocean/go-libvirt"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/internal/migjob"
)

// Driver features (libvirt's internal VIR_DRV_FEATURE_*, which
// virConnectSupportsFeature answers over RPC): what virDomainMigrate3
// asks of both daemons before it drives a migration.
const (
	featureChangeProtection = 7  // VIR_DRV_FEATURE_MIGRATE_CHANGE_PROTECTION
	featureMigrationParams  = 13 // VIR_DRV_FEATURE_MIGRATION_PARAMS
)

// migrateFlags are `virsh migrate --live --persistent --undefinesource`.
const migrateFlags = libvirt.MigrateLive | libvirt.MigratePersistDest | libvirt.MigrateUndefineSource

// afterPrepare, when set (by a test), runs once the destination has
// prepared: where a context ending between the steps is tested.
var afterPrepare func()

// migrationFlags returns the flags of the source's steps and of the
// destination's, as virDomainMigrateVersion3Full sets them: change
// protection (when the source's driver has it) on the source only, so
// that an older destination takes the migration; MIGRATE_PAUSED on both
// for a paused domain (it stays paused on the destination).
func migrationFlags(protect, paused bool) (src, dst uint32) {
	src = uint32(migrateFlags)
	if paused {
		src |= uint32(libvirt.MigratePaused)
	}
	dst = src &^ uint32(libvirt.MigrateAbortOnError|libvirt.MigrateAutoConverge)
	if protect {
		src |= uint32(libvirt.MigrateChangeProtection)
	}
	return src, dst
}

// stepTimeout bounds each step of the protocol but Perform (which the
// watchdog bounds): Prepare starts QEMU on the destination, Finish waits
// for it to take over.
const stepTimeout = 2 * time.Minute

// MigrateTo migrates the running domain to dst, another *Store (else
// migratesetup.ErrOtherStore), as `virsh migrate --live --persistent
// --undefinesource` does without --p2p: this process drives libvirt's
// migration protocol v3 with parameters over both connections, as
// virDomainMigrate3 does in libvirt's client library. Begin on the
// source gives the domain's definition and a cookie, Prepare on the
// destination starts a paused QEMU that listens, Perform on the source
// streams the memory, Finish on the destination resumes the domain there
// (or, told the migration was cancelled, kills it), Confirm on the source
// undefines it there (or, cancelled, resumes it). Every failure cancels
// the steps already taken, so the domain runs on the source (the
// destination's cancel after a failed Perform is waited for 30 s: a hung
// destination is then named, to check there).
//
// While Perform runs, a watchdog polls the job (at once and every 100 ms
// until it moves data, then once a second: progress), sets MaxDowntime
// once the job moves data, and aborts the job past
// opts.Timeout, with no progress for opts.NoProgress, or when ctx ends
// (the error is then ErrMigrationTimeout, ErrMigrationStalled or ctx's).
// The stats are those libvirt keeps of the completed job on the
// destination.
func (s *Store) MigrateTo(ctx context.Context, name string, dst migratesetup.Migrator, opts migratesetup.MigrateOptions, progress func(migratesetup.MigrateProgress)) (migratesetup.MigrateStats, error) {
	d, ok := dst.(*Store)
	if !ok {
		return migratesetup.MigrateStats{}, fmt.Errorf("migrating %s: %w (%T, not an rpcstore.Store)", name, migratesetup.ErrOtherStore, dst)
	}
	if err := ctx.Err(); err != nil {
		return migratesetup.MigrateStats{}, fmt.Errorf("migrating %s: %w", name, err)
	}
	m := &migration{src: s, dst: d, name: name, opts: opts, start: time.Now()}
	stats, err := m.run(ctx, progress)
	if err != nil {
		return migratesetup.MigrateStats{}, fmt.Errorf("migrating %s from %s: %w", name, s.name, err)
	}
	return stats, nil
}

// migration is one run of the protocol.
type migration struct {
	src, dst *Store
	name     string
	opts     migratesetup.MigrateOptions
	start    time.Time
	dom      libvirt.Domain // on the source
	flags    uint32         // the source's flags (with change protection)
	dflags   uint32         // the destination's
	params   []libvirt.TypedParam
	// downtimeSet: MaxDowntime was given to the job. Only poll, which
	// runs one call at a time, touches it.
	downtimeSet bool
}

// cancelTimeout bounds the destination's Finish that cancels a migration
// after Perform failed: the guest runs on the source by then, and a
// destination whose QEMU hung (the stall that the watchdog aborted) keeps
// libvirt's Finish waiting on that QEMU for as long as it hangs; the run
// then says to check there rather than wait stepTimeout.
const cancelTimeout = 30 * time.Second

// step runs one protocol call on s, bounded by stepTimeout, not by the
// caller's context: a call abandoned halfway would close the connection
// and leave the migration half done. The context is looked at between
// steps.
func step(s *Store, f func() error) error {
	return stepWithin(s, stepTimeout, f)
}

// stepWithin is step bounded by d.
func stepWithin(s *Store, d time.Duration, f func() error) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return s.call(ctx, f)
}

func stringParam(field, v string) libvirt.TypedParam {
	return libvirt.TypedParam{Field: field, Value: *libvirt.NewTypedParamValueString(v)}
}

// setParam replaces field's value in ps, or appends it.
func setParam(ps []libvirt.TypedParam, p libvirt.TypedParam) []libvirt.TypedParam {
	for i := range ps {
		if ps[i].Field == p.Field {
			ps[i] = p
			return ps
		}
	}
	return append(ps, p)
}

// supports asks s's daemon for a driver feature.
func supports(s *Store, feature int32) (bool, error) {
	var v int32
	err := step(s, func() (err error) { v, err = s.l.ConnectSupportsFeature(feature); return err })
	return v != 0, err
}

func (m *migration) run(ctx context.Context, progress func(migratesetup.MigrateProgress)) (migratesetup.MigrateStats, error) {
	var err error
	for _, s := range []*Store{m.src, m.dst} {
		ok, err := supports(s, featureMigrationParams)
		if err != nil {
			return migratesetup.MigrateStats{}, fmt.Errorf("asking %s for its migration features: %w", s.name, err)
		}
		if !ok {
			return migratesetup.MigrateStats{}, fmt.Errorf("the libvirt of %s does not take migration parameters (libvirt 1.1.0 and later do)", s.name)
		}
	}
	if err := step(m.src, func() (err error) { m.dom, err = m.src.l.DomainLookupByName(m.name); return err }); err != nil {
		return migratesetup.MigrateStats{}, err
	}
	protect, err := supports(m.src, featureChangeProtection)
	if err != nil {
		return migratesetup.MigrateStats{}, err
	}
	m.flags, m.dflags = migrationFlags(protect, false)
	if m.opts.URI != "" {
		m.params = append(m.params, stringParam(libvirt.MigrateParamURI, m.opts.URI))
	}
	if m.opts.ListenAddress != "" {
		m.params = append(m.params, stringParam(libvirt.MigrateParamListenAddress, m.opts.ListenAddress))
	}
	if m.opts.Bandwidth > 0 {
		m.params = append(m.params, libvirt.TypedParam{Field: libvirt.MigrateParamBandwidth, Value: *libvirt.NewTypedParamValueUllong(m.opts.Bandwidth)})
	}

	// Begin: the source's definition and its cookie; with change
	// protection the source's migration job starts here.
	var cookie []byte
	var domXML string
	err = step(m.src, func() (err error) {
		cookie, domXML, err = m.src.l.DomainMigrateBegin3Params(m.dom, m.params, m.flags)
		return err
	})
	if err != nil {
		return migratesetup.MigrateStats{}, fmt.Errorf("the source refuses (Begin): %w", err)
	}
	var state int32
	if err := step(m.src, func() (err error) { state, _, err = m.src.l.DomainGetState(m.dom, 0); return err }); err == nil && state == int32(libvirt.DomainPaused) {
		m.flags, m.dflags = migrationFlags(protect, true)
	}
	if err := ctx.Err(); err != nil {
		return migratesetup.MigrateStats{}, m.confirm(nil, err)
	}
	if m.timedOut() {
		return migratesetup.MigrateStats{}, m.confirm(nil, m.timeoutErr("Begin"))
	}

	// Prepare: the destination starts a paused QEMU that listens.
	m.params = setParam(m.params, stringParam(libvirt.MigrateParamDestXML, domXML))
	var uriOut libvirt.OptString
	err = step(m.dst, func() (err error) {
		cookie, uriOut, err = m.dst.l.DomainMigratePrepare3Params(m.params, cookie, m.dflags)
		return err
	})
	if err != nil {
		return migratesetup.MigrateStats{}, m.confirm(nil, fmt.Errorf("the destination %s refuses (Prepare): %w", m.dst.name, err))
	}
	if len(uriOut) > 0 && uriOut[0] != "" {
		m.params = setParam(m.params, stringParam(libvirt.MigrateParamURI, uriOut[0]))
	}
	// Finish needs the domain's name at the destination.
	m.params = setParam(m.params, stringParam(libvirt.MigrateParamDestName, m.name))
	if afterPrepare != nil {
		afterPrepare()
	}
	// Cancelled before Perform, Finish gets no cookie: Prepare's is for
	// the source (the destination takes its own for another host's).
	if err := ctx.Err(); err != nil {
		return migratesetup.MigrateStats{}, m.finishCancelled(nil, err, true)
	}
	if m.timedOut() {
		return migratesetup.MigrateStats{}, m.finishCancelled(nil, m.timeoutErr("Prepare"), true)
	}

	// Perform: the source streams the memory, watched.
	var performOut []byte
	last, err := migjob.Run(ctx, m.opts, migjob.Job{
		Migrate: func() error {
			// Not s.call: a context ending here is the watchdog's to handle
			// (abort the job), not a reason to drop the connection.
			return wrap(func() (err error) {
				performOut, err = m.src.l.DomainMigratePerform3Params(m.dom, nil, m.params, cookie, libvirt.DomainMigrateFlags(m.flags))
				return err
			}())
		},
		Poll:  m.poll,
		Abort: func() error { return step(m.src, func() error { return m.src.l.DomainAbortJob(m.dom) }) },
		Start: m.start,
	}, progress)
	if errors.Is(err, migjob.ErrAbortUnanswered) {
		// Perform still runs: nothing more can be done safely from here.
		return migratesetup.MigrateStats{}, err
	}
	if err != nil {
		// Perform failed: the source has cancelled its side already
		// (libvirt calls no Confirm then); the destination must kill its
		// paused QEMU.
		return migratesetup.MigrateStats{}, m.finishCancelled(performOut, err, false)
	}

	// Finish: the destination resumes the domain, and makes it persistent.
	var ddom libvirt.Domain
	var finishOut []byte
	ferr := step(m.dst, func() (err error) {
		ddom, finishOut, err = m.dst.l.DomainMigrateFinish3Params(m.params, performOut, m.dflags, 0)
		return err
	})
	if ferr != nil {
		// The domain did not start on the destination: the source resumes it.
		return migratesetup.MigrateStats{}, m.confirm(finishOut, fmt.Errorf("the destination %s could not take the domain over (Finish): %w", m.dst.name, ferr))
	}
	if m.opts.Resumed != nil {
		m.opts.Resumed()
	}
	// Confirm: the source kills its QEMU and undefines the domain.
	if err := step(m.src, func() error {
		return m.src.l.DomainMigrateConfirm3Params(m.dom, m.params, finishOut, m.flags, 0)
	}); err != nil {
		// The domain runs on the destination; the source may keep a paused
		// copy, which libvirt says of a failed Confirm.
		return migratesetup.MigrateStats{}, fmt.Errorf("the domain runs on %s, but the source did not confirm (Confirm: %w); it may keep a paused copy: check with virsh list --all on the source", m.dst.name, err)
	}
	return m.stats(ddom, last), nil
}

func (m *migration) timedOut() bool {
	return m.opts.Timeout > 0 && time.Since(m.start) >= m.opts.Timeout
}

func (m *migration) timeoutErr(step string) error {
	return fmt.Errorf("%w (after %s, during %s, before any data moved)", migratesetup.ErrMigrationTimeout, time.Since(m.start).Round(10*time.Millisecond), step)
}

// finishCancelled tells the destination that the migration failed (it
// kills its paused QEMU), then, when confirm is true (Perform never ran),
// the source (it ends its job and keeps the domain running). why is
// returned, with what the clean-up could not do.
func (m *migration) finishCancelled(cookie []byte, why error, confirm bool) error {
	var out []byte
	bound := stepTimeout
	if !confirm { // Perform ran and failed: the destination may have hung
		bound = cancelTimeout
	}
	err := stepWithin(m.dst, bound, func() (err error) {
		_, out, err = m.dst.l.DomainMigrateFinish3Params(m.params, cookie, m.dflags, 1)
		return err
	})
	// With cancelled set, Finish "fails" by design: libvirt answers that
	// the migration did not finish (VIR_ERR_MIGRATE_FINISH_OK), or that
	// the domain is gone (the destination killed its QEMU when the
	// stream broke).
	var le Error
	if err != nil && !(errors.As(err, &le) && (le.Code == libvirt.ErrMigrateFinishOk || le.Code == libvirt.ErrNoDomain)) {
		why = fmt.Errorf("%w; cancelling on the destination %s failed too: %v (check there with virsh list --all)", why, m.dst.name, err)
	}
	if !confirm {
		return why
	}
	return m.confirm(out, why)
}

// confirm tells the source that the migration was cancelled: it ends its
// job and resumes the domain. why is returned, with what the clean-up
// could not do.
func (m *migration) confirm(cookie []byte, why error) error {
	err := step(m.src, func() error {
		return m.src.l.DomainMigrateConfirm3Params(m.dom, m.params, cookie, m.flags, 1)
	})
	if err != nil {
		return fmt.Errorf("%w; cancelling on the source failed too: %v (the domain may be paused there: virsh resume)", why, err)
	}
	return why
}

// poll reads the source's job and, the first time it moves data, sets
// the maximum downtime: QEMU takes it for the running migration.
func (m *migration) poll() (migratesetup.MigrateProgress, bool, error) {
	var typ int32
	var elapsed, total, processed, remaining uint64
	err := step(m.src, func() (err error) {
		typ, elapsed, _, total, processed, remaining, _, _, _, _, _, _, err = m.src.l.DomainGetJobInfo(m.dom)
		return err
	})
	if err != nil {
		return migratesetup.MigrateProgress{}, false, err
	}
	active := typ == int32(libvirt.DomainJobBounded) || typ == int32(libvirt.DomainJobUnbounded)
	if !active {
		return migratesetup.MigrateProgress{}, false, nil
	}
	p := migratesetup.MigrateProgress{Elapsed: time.Duration(elapsed) * time.Millisecond, DataTotal: total, DataProcessed: processed, DataRemaining: remaining}
	if total > 0 && !m.downtimeSet && m.opts.MaxDowntime > 0 {
		m.downtimeSet = true
		ms := uint64(max(m.opts.MaxDowntime.Milliseconds(), 1))
		// A failure leaves libvirt's default; the migration goes on.
		_ = step(m.src, func() error { return m.src.l.DomainMigrateSetMaxDowntime(m.dom, ms, 0) })
	}
	return p, true, nil
}

// stats reads what the destination's libvirt keeps of the completed job;
// where it keeps nothing, the time measured here and the last figures.
func (m *migration) stats(ddom libvirt.Domain, last migratesetup.MigrateProgress) migratesetup.MigrateStats {
	st := migratesetup.MigrateStats{Elapsed: time.Since(m.start), DataTotal: last.DataTotal}
	var params []libvirt.TypedParam
	if err := step(m.dst, func() (err error) {
		_, params, err = m.dst.l.DomainGetJobStats(ddom, libvirt.DomainJobStatsCompleted)
		return err
	}); err != nil {
		return st
	}
	for _, p := range params {
		v, ok := p.Value.I.(uint64)
		if !ok {
			continue
		}
		switch p.Field {
		case libvirt.DomainJobTimeElapsed:
			st.Elapsed = time.Duration(v) * time.Millisecond
		case libvirt.DomainJobDowntime:
			st.Downtime = time.Duration(v) * time.Millisecond
		case libvirt.DomainJobDataTotal:
			st.DataTotal = v
		}
	}
	return st
}

var _ migratesetup.Migrator = (*Store)(nil)
