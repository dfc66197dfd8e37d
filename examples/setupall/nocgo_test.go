//go:build !cgo

package main

import (
	"bytes"
	"strings"
	"testing"
)

// Run by scripts/test.sh with CGO_ENABLED=0: built without libvirt, the
// program says so and how to build with it, with exit 69.
func TestWithoutCgo(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"-connect", "test:///default"}, &out, &errb)
	if code != 69 || out.Len() != 0 || !strings.Contains(errb.String(), "built without libvirt (CGO_ENABLED=0)") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}
