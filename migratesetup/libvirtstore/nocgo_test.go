//go:build !cgo

package libvirtstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/libvirtstore"
)

// Run by scripts/test.sh with CGO_ENABLED=0.
func TestOpenWithoutCgo(t *testing.T) {
	s, err := libvirtstore.Open("qemu:///system")
	if s != nil || !errors.Is(err, libvirtstore.ErrNoLibvirt) || !strings.Contains(err.Error(), "qemu:///system") {
		t.Fatalf("Open = %v, %v; want nil and ErrNoLibvirt naming the URI", s, err)
	}
	// A zero Store, passed on by a program, says the same on every call.
	var zero migratesetup.Store = &libvirtstore.Store{}
	ctx := context.Background()
	if _, err := zero.List(ctx); !errors.Is(err, libvirtstore.ErrNoLibvirt) {
		t.Errorf("List: %v", err)
	}
	if err := zero.Define(ctx, "<domain/>"); !errors.Is(err, libvirtstore.ErrNoLibvirt) {
		t.Errorf("Define: %v", err)
	}
	var m migratesetup.Migrator = &libvirtstore.Store{}
	if _, err := m.MigrateTo(ctx, "guest11", m, migratesetup.MigrateOptions{}, nil); !errors.Is(err, libvirtstore.ErrNoLibvirt) {
		t.Errorf("MigrateTo: %v", err)
	}
}
