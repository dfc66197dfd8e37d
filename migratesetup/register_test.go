package migratesetup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/safefile"
	"github.com/sfkvm/sfkvm/internal/testenv"
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

// Register replaces only a regular file: /dev/null, a FIFO or a link at the
// path would be destroyed (or followed), and the host's file is not a place
// for them anyway.
func TestRegisterRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	names := testenv.NotRegularFiles(t, dir)
	before := testenv.DirState(t, dir)
	for _, name := range names {
		err := Register(context.Background(), filepath.Join(dir, name), cfhost1)
		if !errors.Is(err, ErrUnsafePath) || !errors.Is(err, safefile.ErrNotRegular) {
			t.Errorf("Register over %s: %v, want ErrUnsafePath and ErrNotRegular", name, err)
		}
	}
	if after := testenv.DirState(t, dir); after != before {
		t.Errorf("the folder changed:\n%s\n%s", before, after)
	}
}

func TestRegisterRefusesAnUnsafeFolderOrPath(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, filepath.Join(base, "link")); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(base, "open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o1777); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		rule       error
	}{
		{"folder is a symlink", filepath.Join(base, "link", "hostinfo"), safefile.ErrSymlink},
		{"folder writable by others", filepath.Join(open, "hostinfo"), safefile.ErrMode},
		{"relative", "./hostinfo", nil},
		{"not clean", real + "/../real/hostinfo", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Register(context.Background(), tc.path, cfhost1)
			if !errors.Is(err, ErrUnsafePath) || (tc.rule != nil && !errors.Is(err, tc.rule)) {
				t.Errorf("Register(%s) = %v, want ErrUnsafePath (%v)", tc.path, err, tc.rule)
			}
		})
	}
	for _, dir := range []string{real, open} {
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("%s holds %d entries after the refusals", dir, len(ents))
		}
	}
}

func TestRegisterRefusesAFolderOfAnotherUser(t *testing.T) {
	testenv.Root(t, "to give the folder to another user")
	dir := filepath.Join(t.TempDir(), "theirs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := Register(context.Background(), filepath.Join(dir, "hostinfo"), cfhost1); !errors.Is(err, safefile.ErrOwner) {
		t.Errorf("Register in a folder owned by nobody = %v, want ErrOwner", err)
	}
}

func TestReadFileDoesNotBlockOnAFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "hostinfo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := ReadFile(context.Background(), fifo); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, safefile.ErrNotRegular) {
			t.Errorf("ReadFile(FIFO) = %v, want ErrNotRegular", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadFile blocked on a FIFO")
	}
}
