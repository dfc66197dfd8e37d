package libvirtdtest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/testenv"
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
	definesWithoutAsking(t, second, file, orig.ModTime(), "the second daemon", "the first daemon's")
}

// A new test process's first daemon uses the capabilities that a daemon
// of another process asked for: they pass through the shared folder.
func TestCapabilitiesSharedAcrossProcesses(t *testing.T) {
	first := Start(t)
	first.DefineGuest(t, t.TempDir(), "guest1", "")
	first.Stop(t)
	if sharedCaps() == "" {
		t.Fatalf("no shared folder for the capabilities in %s", testenv.SharedTempDir())
	}
	shared := readCaps(sharedCaps())
	if len(shared) == 0 {
		t.Fatalf("the stopped daemon's capabilities are not in %s", sharedCaps())
	}
	asNewProcess(t)

	second := Start(t)
	for name, f := range shared {
		file := filepath.Join(capsDir(second.Dir), name)
		if _, err := os.Stat(file); err != nil {
			t.Fatalf("the new process's daemon was not given the shared capabilities: %v", err)
		}
		definesWithoutAsking(t, second, file, f.mod, "the new process's daemon", "the shared one")
	}
}

// The shared folder is used only when it is the user's own, closed to
// others and no symbolic link.
func TestSharedCapsFolderChecked(t *testing.T) {
	base := t.TempDir()
	own := filepath.Join(base, "own")
	if got := ownedDir(own); got != own {
		t.Errorf("a new folder: %q, want %q", got, own)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(own, link); err != nil {
		t.Fatal(err)
	}
	if got := ownedDir(link); got != "" {
		t.Errorf("a symbolic link to the folder was used: %q", got)
	}
	open := filepath.Join(base, "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if got := ownedDir(open); got != "" {
		t.Errorf("a folder that others can write was used: %q", got)
	}
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := ownedDir(file); got != "" {
		t.Errorf("a file was used as the folder: %q", got)
	}
}

// A stale shared file (QEMU changed since it was written) costs the first
// daemon a probe, and only the first: the second daemon of the process
// gets the first one's new answer.
func TestStaleSharedCapabilitiesAskedOnce(t *testing.T) {
	first := Start(t)
	first.DefineGuest(t, t.TempDir(), "guest1", "")
	first.Stop(t)
	shared := readCaps(sharedCaps())
	if len(shared) == 0 {
		t.Fatalf("the stopped daemon's capabilities are not in %q", sharedCaps())
	}
	ctime := regexp.MustCompile(`<qemuctime>[0-9]+</qemuctime>`)
	long := time.Now().Add(-time.Hour)
	for name, f := range shared {
		if !ctime.Match(f.data) {
			t.Fatalf("%s has no <qemuctime>: libvirt's format changed", name)
		}
		shareCaps(name, capsFile{ctime.ReplaceAll(f.data, []byte("<qemuctime>1</qemuctime>")), long})
	}
	asNewProcess(t)

	second := Start(t)
	second.DefineGuest(t, t.TempDir(), "guest1", "")
	third := Start(t)
	for name := range shared {
		asked, err := os.Stat(filepath.Join(capsDir(second.Dir), name))
		if err != nil || !asked.ModTime().After(long) {
			t.Fatalf("the daemon did not ask QEMU again over a stale file: %v", err)
		}
		file := filepath.Join(capsDir(third.Dir), name)
		definesWithoutAsking(t, third, file, asked.ModTime(), "the third daemon", "the second daemon's")
	}
}

// asNewProcess forgets the capabilities known in memory, as a new test
// process starts with none (no daemon may be running), until the test
// ends.
func asNewProcess(t *testing.T) {
	capsCache.Lock()
	known := capsCache.files
	capsCache.files = map[string]capsFile{}
	capsCache.Unlock()
	t.Cleanup(func() {
		capsCache.Lock()
		defer capsCache.Unlock()
		if len(capsCache.files) == 0 {
			capsCache.files = known
		}
	})
}

// definesWithoutAsking defines a guest on d and checks that d's
// capability file is still the one written at want: asking QEMU again
// would have written it anew. who is d, whose the file's first writer,
// for the message.
func definesWithoutAsking(t *testing.T, d *Daemon, file string, want time.Time, who, whose string) {
	t.Helper()
	d.DefineGuest(t, t.TempDir(), "guest1", "")
	after, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if !after.ModTime().Equal(want) {
		t.Errorf("%s asked QEMU again: %s written at %s, %s at %s", who, file, after.ModTime(), whose, want)
	}
}

// The live-migration test seeds its two daemons from root's shared
// folder by name: a renamed folder would leave them asking QEMU again,
// unseen, at 2 s and a QEMU each.
func TestMigrationTestReadsSharedCaps(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "scripts", "migration-test.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "/" + sharedCapsPrefix + "0\n"; !strings.Contains(string(b), want) {
		t.Errorf("scripts/migration-test.sh does not read root's folder %q", strings.TrimSpace(want))
	}
}
