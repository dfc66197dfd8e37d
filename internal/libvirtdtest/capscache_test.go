package libvirtdtest

import (
	"os"
	"path/filepath"
	"testing"
)

// The second daemon of a test process uses the capabilities of QEMU that
// the first one asked for: its cache holds the first one's file before it
// starts, and defining a guest leaves that file as it was (asking QEMU
// again would write it anew).
func TestCapabilitiesShared(t *testing.T) {
	first := Start(t)
	first.DefineGuest(t, t.TempDir(), "guest1", "")
	want, err := filepath.Glob(filepath.Join(capsDir(first.Dir), "*.xml"))
	if err != nil || len(want) == 0 {
		t.Fatalf("the first daemon wrote no capabilities under %s (%v)", capsDir(first.Dir), err)
	}
	orig, err := os.Stat(want[0])
	if err != nil {
		t.Fatal(err)
	}

	second := Start(t)
	file := filepath.Join(capsDir(second.Dir), filepath.Base(want[0]))
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("the second daemon's cache was not given the first one's capabilities: %v", err)
	}
	second.DefineGuest(t, t.TempDir(), "guest1", "")
	after, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if !after.ModTime().Equal(orig.ModTime()) {
		t.Errorf("the second daemon asked QEMU again: %s written at %s, the first daemon's at %s", file, after.ModTime(), orig.ModTime())
	}
}
