package lab_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/migratesetuptest"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/preflight/lab"
)

// A libvirt that cannot be opened leaves the lab with its in-memory store,
// and StoreName says why.
func TestWithLibvirtFallsBack(t *testing.T) {
	open := func(uri string) (migratesetup.Store, func(), error) {
		if !strings.HasPrefix(uri, "test:///") || !strings.HasSuffix(uri, "/libvirt-test.xml") {
			t.Errorf("uri %q, want the lab's own fixture", uri)
		}
		return nil, nil, errors.New("built without libvirt")
	}
	l, err := lab.New(t.TempDir(), lab.WithLibvirt(open))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Store == nil || l.StoreName != "an in-memory store (built without libvirt)" {
		t.Errorf("store %v, name %q", l.Store, l.StoreName)
	}
}

// Unexpected is quiet for the lab's own fault and names any other.
func TestUnexpected(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  []lab.Option
		quiet bool
	}{
		{"sudo fault", []lab.Option{lab.SudoNeedsPassword("guest22")}, true},
		{"copy differs", []lab.Option{lab.CopyDiffers()}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := lab.Start(context.Background(), t.TempDir(), io.Discard, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			bad := l.Unexpected(preflight.Run(context.Background(), l.Config()))
			if (len(bad) == 0) != tc.quiet {
				t.Errorf("Unexpected = %q", bad)
			}
		})
	}
}

// LiveLacksDisk needs the in-memory store: with libvirt's test driver,
// Prepare says so rather than leaving the fault out.
func TestLiveLacksDiskNeedsFake(t *testing.T) {
	fake := migratesetuptestStore()
	open := func(string) (migratesetup.Store, func(), error) { return fake, func() {}, nil }
	_, err := lab.Start(context.Background(), t.TempDir(), io.Discard, lab.WithLibvirt(open), lab.LiveLacksDisk("guest11"))
	if err == nil || !strings.Contains(err.Error(), "LiveLacksDisk needs the in-memory store") {
		t.Errorf("err = %v", err)
	}
}

// wrapped hides the in-memory store's type, as any other store would.
type wrapped struct{ migratesetup.Store }

func migratesetuptestStore() migratesetup.Store {
	domains := map[string]*migratesetuptest.Domain{}
	for _, n := range []string{"guest11", "guest21"} {
		domains[n] = &migratesetuptest.Domain{XML: "<domain type='kvm'>\n  <name>" + n + "</name>\n  <devices>\n  </devices>\n</domain>\n", State: migratesetup.StateShutoff}
	}
	return wrapped{migratesetuptest.New(domains)}
}
