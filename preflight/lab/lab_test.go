package lab_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/migratesetup"
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
