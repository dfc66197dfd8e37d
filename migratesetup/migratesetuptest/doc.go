// Package migratesetuptest is a fake migratesetup.Store that keeps domains
// in memory, for tests of code that sets up guests without libvirt (the
// tests of migratesetup, preflight and examples/setupall, and an
// importer's own), which would otherwise need libvirtd and real guests.
// preflight/lab, the built-in lab of "sfkvm demo", runs on it too.
//
// It behaves like libvirt where migratesetup depends on it: an unknown
// domain is an error that is migratesetup.ErrNoDomain, Define replaces the
// definition of the domain named in the XML (or adds it), Start needs a
// shut-off domain, Shutdown is an ACPI request that the guest honours after
// a delay that the test chooses (or never). A transient domain (Transient)
// is gone once it is off, as libvirt's is; defining a domain of its name
// makes it persistent.
//
// A test builds the store with New, hands it to the code under test where
// libvirtstore.Open's store would go, and then reads what happened with
// Domain (the definition and state) and Calls (how often a method ran);
// Store.Fail injects libvirt's errors:
//
//	store := migratesetuptest.New(map[string]*migratesetuptest.Domain{
//		"guest11": {XML: domainXML, State: migratesetup.StateShutoff},
//	})
//	results := migratesetup.SetupGuests(ctx, store, []string{"guest11"}, opts)
//	d, _ := store.Domain("guest11") // d.XML now has the host information disk
package migratesetuptest
