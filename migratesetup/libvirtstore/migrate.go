//go:build cgo

package libvirtstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/internal/migjob"
)

// migrateFlags are `virsh migrate --live --persistent --undefinesource`.
const migrateFlags = libvirt.MIGRATE_LIVE | libvirt.MIGRATE_PERSIST_DEST | libvirt.MIGRATE_UNDEFINE_SOURCE

// MigrateTo migrates the running domain to dst, another *Store (else
// migratesetup.ErrOtherStore), as `virsh migrate --live --persistent
// --undefinesource` does without --p2p: virDomainMigrate3 with the
// destination's connection, which drives libvirt's migration protocol
// (Begin, Prepare, Perform, Finish, Confirm) from this process and
// cancels what was done on a failure, so the domain runs on the source.
// It behaves as rpcstore.Store.MigrateTo does, step for step: the same
// parameters (migrate_uri, listen_address, bandwidth), the same watchdog
// (progress once a second, MaxDowntime once the job runs, abort on
// timeout, no progress or the context's end), the same stats.
func (s *Store) MigrateTo(ctx context.Context, name string, dst migratesetup.Migrator, opts migratesetup.MigrateOptions, progress func(migratesetup.MigrateProgress)) (migratesetup.MigrateStats, error) {
	d, ok := dst.(*Store)
	if !ok {
		return migratesetup.MigrateStats{}, fmt.Errorf("migrating %s: %w (%T, not a libvirtstore.Store)", name, migratesetup.ErrOtherStore, dst)
	}
	start := time.Now()
	dom, err := s.lookup(ctx, name)
	if err != nil {
		return migratesetup.MigrateStats{}, fmt.Errorf("migrating %s: %w", name, err)
	}
	// Poll and Abort may still run on the watchdog's goroutines when Run
	// returns: dom is freed once they are done with it. (A read lock each:
	// a slow poll does not hold up an abort.)
	var (
		domMu   sync.RWMutex
		domGone bool
	)
	withDom := func(f func() error) error {
		domMu.RLock()
		defer domMu.RUnlock()
		if domGone {
			return errors.New("the migration is over")
		}
		return f()
	}
	defer func() {
		domMu.Lock()
		domGone = true
		domMu.Unlock()
		dom.Free()
	}()
	params := &libvirt.DomainMigrateParameters{}
	if opts.URI != "" {
		params.URISet, params.URI = true, opts.URI
	}
	if opts.ListenAddress != "" {
		params.ListenAddressSet, params.ListenAddress = true, opts.ListenAddress
	}
	if opts.Bandwidth > 0 {
		params.BandwidthSet, params.Bandwidth = true, opts.Bandwidth
	}
	var (
		ddom *libvirt.Domain
		// Only Poll, which runs one call at a time, touches it.
		downtimeSet bool
	)
	last, err := migjob.Run(ctx, opts, migjob.Job{
		Migrate: func() (err error) {
			ddom, err = dom.Migrate3(d.conn, params, migrateFlags)
			return wrap(err)
		},
		Poll: func() (migratesetup.MigrateProgress, bool, error) {
			var info *libvirt.DomainJobInfo
			err := withDom(func() (err error) { info, err = dom.GetJobInfo(); return err })
			if err != nil {
				return migratesetup.MigrateProgress{}, false, wrap(err)
			}
			if info.Type != libvirt.DOMAIN_JOB_BOUNDED && info.Type != libvirt.DOMAIN_JOB_UNBOUNDED {
				return migratesetup.MigrateProgress{}, false, nil
			}
			p := migratesetup.MigrateProgress{Elapsed: time.Duration(info.TimeElapsed) * time.Millisecond, DataTotal: info.DataTotal, DataProcessed: info.DataProcessed, DataRemaining: info.DataRemaining}
			if p.DataTotal > 0 && !downtimeSet && opts.MaxDowntime > 0 {
				downtimeSet = true
				// A failure leaves libvirt's default; the migration goes on.
				_ = withDom(func() error { return dom.MigrateSetMaxDowntime(uint64(max(opts.MaxDowntime.Milliseconds(), 1)), 0) })
			}
			return p, true, nil
		},
		Abort: func() error { return wrap(withDom(dom.AbortJob)) },
		Start: start,
	}, progress)
	if err != nil {
		return migratesetup.MigrateStats{}, fmt.Errorf("migrating %s: %w", name, err)
	}
	defer ddom.Free()
	if opts.Resumed != nil { // (virDomainMigrate3 has done Confirm too)
		opts.Resumed()
	}
	st := migratesetup.MigrateStats{Elapsed: time.Since(start), DataTotal: last.DataTotal}
	if info, err := ddom.GetJobStats(libvirt.DOMAIN_JOB_STATS_COMPLETED); err == nil {
		if info.TimeElapsedSet {
			st.Elapsed = time.Duration(info.TimeElapsed) * time.Millisecond
		}
		if info.DowntimeSet {
			st.Downtime = time.Duration(info.Downtime) * time.Millisecond
		}
		if info.DataTotalSet {
			st.DataTotal = info.DataTotal
		}
	}
	return st, nil
}

var _ migratesetup.Migrator = (*Store)(nil)
