package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fakeModules(t *testing.T, ext map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, m := range Modules {
		e := ".ko"
		if ext[m] != "" {
			e = ext[m]
		}
		sub := filepath.Join(dir, "kernel", "drivers", "virtio")
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, m+e), []byte("module "+m), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestWrite(t *testing.T) {
	dir := fakeModules(t, nil)
	initBin := filepath.Join(t.TempDir(), "init")
	if err := os.WriteFile(initBin, []byte("\x7fELF"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "initrd")
	if err := write(initBin, dir, out, ""); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"init\x00", "modules/virtio_blk.ko\x00", "module virtio_blk", "virtio_ring\nvirtio\n", "TRAILER!!!"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the archive lacks %q", want)
		}
	}
}

func TestCompressedModuleRefused(t *testing.T) {
	dir := fakeModules(t, map[string]string{"virtio_blk": ".ko.xz"})
	_, err := findModules(dir)
	if err == nil || !strings.Contains(err.Error(), "virtio_blk.ko.xz is compressed") {
		t.Errorf("findModules: %v", err)
	}
}

func TestMissingModule(t *testing.T) {
	dir := fakeModules(t, nil)
	if err := os.Remove(filepath.Join(dir, "kernel", "drivers", "virtio", "virtio_pci.ko")); err != nil {
		t.Fatal(err)
	}
	if _, err := findModules(dir); err == nil || !strings.HasSuffix(err.Error(), ": virtio_pci") {
		t.Errorf("findModules: %v", err)
	}
}

func TestWriteGuestConfig(t *testing.T) {
	dir := fakeModules(t, nil)
	tmp := t.TempDir()
	initBin, guest, out := filepath.Join(tmp, "init"), filepath.Join(tmp, "guest.json"), filepath.Join(tmp, "initrd")
	os.WriteFile(initBin, []byte("\x7fELF"), 0o755)
	os.WriteFile(guest, []byte(`{"address":"10.77.0.10/24","user":"op","password":"pw","node":"g1","cluster":"c1","nodes":["g1","g2"]}`), 0o600)
	if err := write(initBin, dir, out, guest); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	for _, want := range []string{"etc/sfkvm-guest.json\x00", "etc/default/cluster.config\x00", `CFCP "cfcp"`, "modules/virtio_net.ko\x00", "net_failover\nvirtio_net\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the archive lacks %q", want)
		}
	}
	// A configuration the guest could not use is refused here, not at boot.
	os.WriteFile(guest, []byte(`{"address":"10.77.0.10","user":"op"}`), 0o600)
	if err := write(initBin, dir, out, guest); err == nil || !strings.Contains(err.Error(), "address") {
		t.Errorf("a bad guest configuration: %v", err)
	}
}
