package migratesetup

import (
	"context"
	"errors"
	"time"
)

// Migrator is a LiveStore that can also move one of its running domains,
// live, to another host's libvirt daemon: what `sfkvm migrate` needs from
// libvirt, declared here (as Store is) so that the orchestration in
// package migrate is tested without libvirt. The libvirt stores implement
// it against a destination of their own kind (an rpcstore.Store migrates
// to an rpcstore.Store); the fake in migratesetuptest moves a domain
// between two fakes.
type Migrator interface {
	LiveStore
	// MigrateTo migrates the running domain to dst as `virsh migrate
	// --live --persistent --undefinesource` does: live, defined on the
	// destination, undefined here once it runs there. It returns when the
	// domain runs on dst, or with an error after which the domain still
	// runs here (libvirt's promise for a failed or aborted migration).
	// MigrateOptions bounds it: past Timeout, or with no progress for
	// NoProgress, the job is aborted (ErrMigrationTimeout,
	// ErrMigrationStalled); so is it when ctx ends (the error is then
	// also ctx's: errors.Is(err, context.Canceled)). Each such error
	// carries the last figures. progress, when not nil, is called with the
	// job's figures about once a second once data moves (not during
	// libvirt's Begin and Prepare), on the calling goroutine: it must
	// return quickly. The shared watchdog (package
	// migratesetup/internal/migjob) does all this alike in every store.
	MigrateTo(ctx context.Context, domain string, dst Migrator, opts MigrateOptions, progress func(MigrateProgress)) (MigrateStats, error)
}

// MigrateOptions are the bounds and knobs of one live migration.
type MigrateOptions struct {
	// Timeout bounds the whole migration; 0 means no bound but the
	// context's.
	Timeout time.Duration
	// NoProgress aborts a migration whose remaining data has not shrunk
	// for this long (a guest that dirties memory faster than the link
	// carries it); 0 means no such check.
	NoProgress time.Duration
	// MaxDowntime is the longest pause of the guest libvirt may take to
	// switch over (virsh migrate-setmaxdowntime); 0 leaves libvirt's
	// default (300 ms).
	MaxDowntime time.Duration
	// Bandwidth caps the migration stream in MiB/s (virsh migrate
	// --bandwidth); 0 leaves it unlimited.
	Bandwidth uint64
	// URI is where the destination's QEMU listens for the stream
	// (virsh migrate --migrateuri, e.g. tcp://192.0.2.2:49152); empty lets
	// the destination choose. ListenAddress is the address it binds
	// (--listen-address).
	URI, ListenAddress string
	// Resumed, when not nil, is called once the domain runs on the
	// destination (libvirt's Finish), on MigrateTo's calling goroutine,
	// before the source's clean-up (Confirm: its QEMU stopped, the domain
	// undefined, which takes libvirt 0.5 to 2 s): the caller may use the
	// guest there meanwhile (sfkvm reads its new host). At most once; a
	// store that cannot tell calls it when the migration has completed.
	// MigrateTo may still fail after it: Confirm failed, and the source
	// may keep a paused copy.
	Resumed func()
}

// MigrateProgress is a migration job's figures while it runs, libvirt's
// virDomainJobInfo.
type MigrateProgress struct {
	Elapsed                                 time.Duration
	DataTotal, DataProcessed, DataRemaining uint64 // bytes
}

// MigrateStats is what libvirt reports of a completed migration (virsh
// domjobinfo --completed).
type MigrateStats struct {
	// Elapsed is the migration's time from start to the guest running on
	// the destination; Downtime the time the guest was paused.
	Elapsed, Downtime time.Duration
	// DataTotal is the guest memory the job had to move, in bytes.
	DataTotal uint64
}

// The migration's own failures, so that callers tell them apart from
// libvirt's refusals (which keep libvirt's code, as every store error
// does).
var (
	// ErrMigrationTimeout: MigrateOptions.Timeout passed; the job was
	// aborted and the domain runs on the source.
	ErrMigrationTimeout = errors.New("the migration outlasted its timeout and was aborted")
	// ErrMigrationStalled: no progress for MigrateOptions.NoProgress; the
	// job was aborted and the domain runs on the source.
	ErrMigrationStalled = errors.New("the migration made no progress and was aborted")
	// ErrOtherStore: dst is not a store this one can migrate to (another
	// kind of store).
	ErrOtherStore = errors.New("the destination is another kind of store")
)
