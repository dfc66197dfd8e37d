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
	if err := write(initBin, dir, out); err != nil {
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
