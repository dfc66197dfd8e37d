package migratesetup

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestRegisterWritesARootOnlyFileAtomically(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "var", "lib", "sfkvm")
	path := filepath.Join(dir, "hostinfo")
	ctx := context.Background()
	if err := Register(ctx, path, cfhost1); err != nil {
		t.Fatal(err)
	}
	// Replace a file that someone made world-readable: the new one is 0600.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	second := HostInfo{CFName: "cfhost1", IP: cfhost1.IP, NoWeightLink: true}
	if err := Register(ctx, path, second); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != 0o600 || fi.Size()%SectorSize != 0 {
		t.Errorf("mode %v size %d, want -rw------- and whole sectors", fi.Mode(), fi.Size())
	}
	got, err := ReadFile(ctx, path)
	if err != nil || got != second {
		t.Errorf("read back %+v (%v), want %+v", got, err, second)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the folder holds %d entries, want only hostinfo (no temporary file left)", len(entries))
	}
}

func TestRegisterRefusesBadInfoAndWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hostinfo")
	bad := HostInfo{CFName: "cfhost1"}
	if err := Register(context.Background(), path, bad); err == nil {
		t.Fatal("no error")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a file was written: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Register(ctx, path, cfhost1); err == nil {
		t.Error("a cancelled context wrote the file")
	}
}

func TestRegisterReportsAnUnwritableFolder(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Register(context.Background(), filepath.Join(blocker, "hostinfo"), cfhost1); err == nil {
		t.Error("no error when the folder is a file")
	}
}
