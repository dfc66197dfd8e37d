package rpcstore

import (
	"testing"

	"github.com/digitalocean/go-libvirt"
)

// The flags are virsh migrate --live --persistent --undefinesource, with
// change protection on the source's steps only (libvirt's client masks it
// out for the destination, which may be older and refuse it), and
// MIGRATE_PAUSED on both for a paused guest.
func TestMigrationFlags(t *testing.T) {
	base := uint32(libvirt.MigrateLive | libvirt.MigratePersistDest | libvirt.MigrateUndefineSource)
	protect, paused := uint32(libvirt.MigrateChangeProtection), uint32(libvirt.MigratePaused)
	for _, c := range []struct {
		protect, paused bool
		src, dst        uint32
	}{
		{false, false, base, base},
		{true, false, base | protect, base},
		{true, true, base | protect | paused, base | paused},
	} {
		src, dst := migrationFlags(c.protect, c.paused)
		if src != c.src || dst != c.dst {
			t.Errorf("protect %v, paused %v: source %#x, destination %#x; want %#x, %#x", c.protect, c.paused, src, dst, c.src, c.dst)
		}
	}
}
