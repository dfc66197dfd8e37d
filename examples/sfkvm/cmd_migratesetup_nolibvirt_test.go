//go:build !cgo

package main

import (
	"strings"
	"testing"
)

func TestMigratesetupWithoutCgo(t *testing.T) {
	r := runCLI(t, "", "migratesetup", "-s", "guest11")
	if r.code != exitUnavailable || !strings.Contains(r.stderr, "built without cgo") {
		t.Errorf("%+v", r)
	}
}
