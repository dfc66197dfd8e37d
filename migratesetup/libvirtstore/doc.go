// Package libvirtstore is the real migratesetup.Store, through libvirt's C
// library (libvirt.org/go/libvirt). It is the only cgo in sfkvm: its code
// files carry //go:build cgo, so that with CGO_ENABLED=0 this package is
// empty (this file only) and everything else still builds.
//
//	s, err := libvirtstore.Open("qemu:///system")
//	if err != nil { ... } // libvirt unreachable
//	defer s.Close()
//	results := migratesetup.SetupGuests(ctx, s, []string{"guest11"}, migratesetup.Options{})
//
// Build it with libvirt's headers (Debian: libvirt-dev and pkg-config), or
// with -tags libvirt_dlopen and only the run-time library (Debian:
// libvirt0), which is loaded at the first call: without it, Open returns an
// error ("Failed to open libvirt.so.0") rather than crashing.
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
