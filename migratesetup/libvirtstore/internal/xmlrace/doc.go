// Package xmlrace calls libxml2's lazy type-library initialisation from
// many threads at once: the race that libvirtstore.Open prevents, for its
// tests, without libvirt's jitter around it. libxml2 before 2.15
// initialises its Relax-NG type library on first use without a lock, so
// the first validated defines of a process, run in parallel, could print
// "Relax-NG types library ... already registered" and corrupt the table;
// libvirtstore's TestConcurrentValidation proves, with this package, that
// Open's initialisation closes the window. It is not part of any program.
//
// It needs cgo (RelaxNGInitTypes is C, and finds the libxml2 that libvirt
// loaded); without cgo the package is empty.
//
//	store, _ := libvirtstore.Open("test:///default") // loads libxml2 and initialises it
//	n := xmlrace.RelaxNGInitTypes(16)                 // 16: every thread ran
package xmlrace
