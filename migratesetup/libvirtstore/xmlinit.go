//go:build cgo

package libvirtstore

/*
#cgo LDFLAGS: -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stddef.h>
#include <string.h>

// sfkvm_find_libxml2 remembers the path of the first loaded object whose
// file name begins with "libxml2.so" (libxml2.so.2; libxml2 2.14 changed
// the soname to libxml2.so.16).
static int sfkvm_find_libxml2(struct dl_phdr_info *info, size_t size, void *data) {
	(void)size;
	const char *name = info->dlpi_name;
	if (name == NULL)
		return 0;
	const char *base = strrchr(name, '/');
	base = base != NULL ? base + 1 : name;
	if (strncmp(base, "libxml2.so", 10) != 0)
		return 0;
	*(const char **)data = name;
	return 1;
}

// sfkvm_libxml2 returns a handle on the libxml2 that libvirt loaded, or
// NULL: RTLD_NOLOAD finds a library already in the process without loading
// one (libvirt may have been loaded with RTLD_LOCAL, -tags libvirt_dlopen,
// so its libxml2 need not be visible through RTLD_DEFAULT).
static void *sfkvm_libxml2(void) {
	const char *path = NULL;
	dl_iterate_phdr(sfkvm_find_libxml2, &path);
	if (path != NULL)
		return dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	return NULL;
}

// sfkvm_init_xml_types initialises libxml2's parser and its XML Schema and
// Relax-NG type libraries. It returns 0 when done, -1 when libxml2 is not
// in the process, -2 when a function is missing, -3 when libxml2 failed.
static int sfkvm_init_xml_types(void) {
	void *h = sfkvm_libxml2();
	if (h == NULL)
		return -1;
	void (*init_parser)(void) = (void (*)(void))dlsym(h, "xmlInitParser");
	// void in libxml2 2.9, int from 2.12; the result is not needed.
	void (*schema_types)(void) = (void (*)(void))dlsym(h, "xmlSchemaInitTypes");
	int (*relaxng_types)(void) = (int (*)(void))dlsym(h, "xmlRelaxNGInitTypes");
	int ret = -2;
	if (init_parser != NULL && schema_types != NULL && relaxng_types != NULL) {
		init_parser();
		schema_types();
		ret = relaxng_types() == 0 ? 0 : -3;
	}
	dlclose(h); // only the reference taken above: libvirt keeps libxml2 loaded
	return ret;
}
*/
import "C"

import (
	"fmt"
	"sync"
)

// xmlTypes initialises libxml2's schema type libraries once per process.
//
// libvirt validates a definition (DOMAIN_DEFINE_VALIDATE) with libxml2's
// Relax-NG validator, parsing its schema each time. libxml2 before 2.15
// (Debian 12 has 2.9.14) initialises its Relax-NG and XML Schema type
// libraries lazily, on the first schema parse, behind a plain int flag
// and no lock (xmlRelaxNGInitTypes, xmlSchemaInitTypes; made thread-safe
// upstream by commits ac5fcb0e and 80798c40, libxml2 2.15.0). Two first
// validations at once, as SetupGuests runs them for an in-process driver
// such as test:///, both build the tables: one overwrites the other's, and
// libxml2 prints "Relax-NG types library ... already registered" or
// "... failed to register" on file descriptor 2 (and leaks, or worse).
// Running the initialisation once, before Open returns a Store that could
// define anything, makes every later validation find the tables built.
//
// For a remote URI (qemu:///system) the validation runs in libvirt's
// daemon, not here; the call is then harmless.
var xmlTypes struct {
	once sync.Once
	err  error
}

func initXMLTypes() error {
	xmlTypes.once.Do(func() {
		switch rc := C.sfkvm_init_xml_types(); rc {
		case 0:
		case -1:
			xmlTypes.err = fmt.Errorf("libvirt's libxml2 (libxml2.so.*) is not loaded in this process")
		case -2:
			xmlTypes.err = fmt.Errorf("libxml2 lacks xmlInitParser, xmlSchemaInitTypes or xmlRelaxNGInitTypes")
		default:
			xmlTypes.err = fmt.Errorf("libxml2 could not initialise its Relax-NG type libraries (%d)", int(rc))
		}
	})
	return xmlTypes.err
}
