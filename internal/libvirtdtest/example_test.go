package libvirtdtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/libvirtdtest"
	"github.com/sfkvm/sfkvm/migratesetup/rpcstore"
)

// A test defines a small QEMU guest on a daemon of its own, through the
// RPC store. Compiled only: it needs root, libvirtd and QEMU, and the
// daemon's paths change every run.
func ExampleStart() {
	_ = func(t *testing.T) {
		d := libvirtdtest.Start(t) // stopped, its guests killed, when t ends
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s, err := rpcstore.Open(ctx, d.URI)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Define(ctx, libvirtdtest.GuestXML(t, t.TempDir(), "guest11", "")); err != nil {
			t.Fatal(err)
		}
	}
}
