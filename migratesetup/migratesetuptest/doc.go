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
//
// The fake is a migratesetup.Migrator too, for tests of the migration's
// orchestration (package migrate): Store.MigrateTo moves a running domain
// to another fake, persistent there and gone here, in steps that report
// progress. Store.SetMigration makes it slow or stall, Fail with the
// methods "MigrateTo", "MigratePrepare" and "MigrateFinish" makes the
// source or the destination refuse; MigrateOptions.Timeout, NoProgress
// and the context abort it through the watchdog the libvirt stores use,
// and every failure leaves the domain running on the source. Calls counts
// "MigrateAbort" for each abort the watchdog asked for.
package migratesetuptest
