package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sfkvm/sfkvm/internal/migrationtest"
	"github.com/sfkvm/sfkvm/migrate"
)

// Modules are the virtio modules the guest needs for its disk and its
// network interface, in the order they depend on each other.
var Modules = []string{"virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_pci", "virtio_blk",
	"failover", "net_failover", "virtio_net"}

func main() {
	initPath := flag.String("init", "", "the static /init program")
	modDir := flag.String("modules", "", "the kernel's lib/modules/VERSION folder")
	out := flag.String("o", "", "the archive to write")
	guest := flag.String("guest", "", "the guest's configuration (JSON, migrationtest.GuestConfig), put at "+migrationtest.GuestConfigPath+" with "+migrate.DefaultClusterConfig+"; none: the guest serves no SSH")
	flag.Parse()
	if *initPath == "" || *modDir == "" || *out == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := write(*initPath, *modDir, *out, *guest); err != nil {
		fmt.Fprintln(os.Stderr, "mkinitramfs:", err)
		os.Exit(1)
	}
}

func write(initPath, modDir, out, guest string) error {
	initBin, err := os.ReadFile(initPath)
	if err != nil {
		return err
	}
	var guestConf []byte
	var gc migrationtest.GuestConfig
	if guest != "" {
		if guestConf, err = os.ReadFile(guest); err != nil {
			return err
		}
		if gc, _, err = migrationtest.ParseGuestConfig(guestConf); err != nil {
			return fmt.Errorf("%s: %w", guest, err)
		}
	}
	found, err := findModules(modDir)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	c := migrationtest.NewCPIO(&buf)
	for _, d := range []string{"dev", "proc", "sys", "modules", "etc", "etc/default"} {
		if err := c.Dir(d, 0o755); err != nil {
			return err
		}
	}
	if err := c.File("init", 0o755, initBin); err != nil {
		return err
	}
	for _, m := range Modules {
		data, err := os.ReadFile(found[m])
		if err != nil {
			return err
		}
		if err := c.File("modules/"+m+".ko", 0o644, data); err != nil {
			return err
		}
	}
	if guestConf != nil {
		if err := c.File(strings.TrimPrefix(migrationtest.GuestConfigPath, "/"), 0o600, guestConf); err != nil {
			return err
		}
		if err := c.File(strings.TrimPrefix(migrate.DefaultClusterConfig, "/"), 0o644, []byte(migrationtest.ClusterConfig(gc.Cluster))); err != nil {
			return err
		}
	}
	if err := c.File("modules/order", 0o644, []byte(strings.Join(Modules, "\n")+"\n")); err != nil {
		return err
	}
	if err := c.Close(); err != nil {
		return err
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}

// findModules finds each of Modules under dir: NAME.ko, refusing a
// compressed one.
func findModules(dir string) (map[string]string, error) {
	found := map[string]string{}
	want := map[string]bool{}
	for _, m := range Modules {
		want[m] = true
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		base := d.Name()
		for _, ext := range []string{".ko.xz", ".ko.zst", ".ko.gz"} {
			if m := strings.TrimSuffix(base, ext); m != base && want[m] {
				return fmt.Errorf("%s is compressed (%s); this kernel's finit_module takes plain .ko files: use a kernel package with uncompressed modules", path, ext)
			}
		}
		if m := strings.TrimSuffix(base, ".ko"); m != base && want[m] {
			found[m] = path
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, m := range Modules {
		if found[m] == "" {
			missing = append(missing, m)
		}
	}
	if len(missing) > 0 {
		return nil, errors.New("modules not found under " + dir + ": " + strings.Join(missing, ", "))
	}
	return found, nil
}
