//go:build !cgo

package main

import (
	"strings"
	"testing"
)

// Run by scripts/test.sh with CGO_ENABLED=0: the static CLI reaches
// libvirt's daemon over its socket (the other tests), but libvirt's test
// driver runs only in-process, through libvirt's C library: for a test:///
// URI it says that it was built without it and how to rebuild, with exit
// 69.
func TestMigratesetupTestDriverWithoutCgo(t *testing.T) {
	r := runCLI(t, "", "migratesetup", "-s", "guest11", "--connect", "test:///default")
	if r.code != exitUnavailable || !strings.Contains(r.stderr, "built without libvirt (CGO_ENABLED=0)") || !strings.Contains(r.stderr, "libvirt_dlopen") {
		t.Errorf("%+v", r)
	}
}
