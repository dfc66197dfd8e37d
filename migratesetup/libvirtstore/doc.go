// Package libvirtstore is the real migratesetup.Store, through libvirt's C
// library (libvirt.org/go/libvirt). It is the only cgo in sfkvm.
//
//	s, err := libvirtstore.Open("qemu:///system")
//	if err != nil { ... } // libvirt unreachable, or errors.Is(err, ErrNoLibvirt)
//	defer s.Close()
//	results := migratesetup.SetupGuests(ctx, s, []string{"guest11"}, migratesetup.Options{})
//
// The package builds in every build: with CGO_ENABLED=0 it has the same
// API, and Open returns an error that wraps [ErrNoLibvirt] and says how to
// build with libvirt. So a program imports it unconditionally, with no
// pair of build-tagged files, and tells its user at run time.
//
// Build it with libvirt's headers (Debian: libvirt-dev and pkg-config), or
// with -tags libvirt_dlopen and only the run-time library (Debian:
// libvirt0). Either way libvirt is loaded when the program starts, not at
// the first call: the dynamic linker loads libvirt.so.0 before main, and
// with libvirt_dlopen the binding's own init (which installs its error
// handler) dlopens it. Without libvirt.so.0 a libvirt_dlopen program still
// runs, and Open returns libvirt's error ("Failed to open libvirt.so.0");
// a program built without the tag does not start at all.
//
// Errors keep libvirt's codes: each wraps the libvirt.Error, so
// errors.Is(err, libvirt.ERR_NO_DOMAIN) works, and an unknown domain is
// also errors.Is(err, migratesetup.ErrNoDomain).
//
// Validation is safe under concurrency: libvirt validates a definition
// with libxml2's Relax-NG validator, and libxml2 before 2.15 initialises
// its Relax-NG and XML Schema type libraries lazily, without a lock, on
// the first schema parse of the process. Parallel first validations (an
// in-process driver such as test:///, with SetupGuests' concurrency) then
// printed "Relax-NG types library ... already registered" on stderr and
// could corrupt the tables. Open initialises them once per process, before
// it returns a Store; it fails when the libxml2 that libvirt loaded cannot
// be found (any libxml2.so.* loaded in the process) rather than run
// unprotected. Open also refuses a file-backed test:/// URI whose file is
// missing or not a regular file before libvirt hands it to libxml2, which
// would print an I/O warning on stderr by itself.
//
// It is a migratesetup.Migrator: Store.MigrateTo migrates a running
// guest live to the libvirt of another Store with virDomainMigrate3 and
// the destination's connection (virsh migrate --live --persistent
// --undefinesource without --p2p), bounded by the watchdog that
// rpcstore's MigrateTo uses, with the same options, errors and stats; both
// pass storetest.TestMigrator between two real daemons. The build without
// cgo returns ErrNoLibvirt, as its other methods do.
//
// Persistent is virDomainIsPersistent: migratesetup refuses a transient
// domain, whose shutdown would delete it.
//
// What it deliberately does not do: attach or detach devices on a live
// domain (the test driver refuses those calls, and the guest must see the
// disk from boot); it reads the inactive definition with its secrets and
// defines it again, validated against libvirt's schema. libvirt's calls
// take no context: the context is checked before each call, and a call
// in progress runs to its end.
package libvirtstore
