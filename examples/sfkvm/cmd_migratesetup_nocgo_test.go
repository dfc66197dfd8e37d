//go:build !cgo

package main

import (
	"strings"
	"testing"
)

// Run by scripts/test.sh with CGO_ENABLED=0: the same CLI, built without
// libvirt, says so and how to rebuild, with exit 69.
func TestMigratesetupWithoutCgo(t *testing.T) {
	r := runCLI(t, "", "migratesetup", "-s", "guest11")
	if r.code != exitUnavailable || !strings.Contains(r.stderr, "built without libvirt (CGO_ENABLED=0)") || !strings.Contains(r.stderr, "libvirt_dlopen") {
		t.Errorf("%+v", r)
	}
}
