package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/preflight/lab"
)

// TestReadinessAgainstTheLab runs the program's report against the lab
// with one guest's sudo broken: not ready, and that guest's fix printed.
func TestReadinessAgainstTheLab(t *testing.T) {
	l, err := lab.Start(context.Background(), t.TempDir(), io.Discard, lab.SudoNeedsPassword("guest12"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var out strings.Builder
	if report(&out, preflight.Run(context.Background(), l.Config())) {
		t.Errorf("ready with a broken guest:\n%s", out.String())
	}
	for _, want := range []string{"FAIL step 1.2 guest.sudo", "guest12 192.0.2.12: sudo needs a password", "fix: on guest12, with visudo: user2 ALL=(root) NOPASSWD: ALL", "ready: false"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
