package preflight_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/libvirtdtest"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/rpcstore"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/preflight/lab"
)

// The whole procedure with the lab's libvirt a real daemon reached over
// its socket (rpcstore, as the CLI does), its guests here QEMU guests:
// the guests are set up and started through the RPC store, and preflight
// finds them among the daemon's running domains and checks their
// persistent and live definitions there.
func TestLabThroughLibvirtDaemon(t *testing.T) {
	d := libvirtdtest.Start(t)
	imgs := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	open := func(string) (migratesetup.Store, func(), error) {
		s, err := rpcstore.Open(ctx, d.URI)
		if err != nil {
			return nil, nil, err
		}
		for _, name := range []string{"guest11", "guest21"} {
			x := libvirtdtest.GuestXML(t, imgs, name, "")
			if err := s.Define(ctx, x); err != nil {
				return nil, nil, err
			}
		}
		return s, func() { s.Close() }, nil
	}
	l, err := lab.Start(ctx, t.TempDir(), io.Discard, lab.WithLibvirt(open))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, ok := l.Store.(*rpcstore.Store); !ok {
		t.Fatalf("the lab's store is %s, not the RPC store", l.StoreName)
	}
	rep := preflight.Run(ctx, l.Config())
	if bad := l.Unexpected(rep); len(bad) > 0 {
		t.Errorf("unexpected:\n%s", strings.Join(bad, "\n"))
	}
	rs := rep.Of(preflight.GuestSetUp.ID)
	if len(rs) != 2 {
		t.Fatalf("guest.setup: %+v", rs)
	}
	for _, r := range rs {
		if r.Status != preflight.OK || !strings.HasSuffix(r.Reason, "(persistent and live)") {
			t.Errorf("%s: %s %q", r.Target, r.Status, r.Reason)
		}
	}
}
