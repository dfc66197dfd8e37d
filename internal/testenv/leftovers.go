package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A test binary that is killed (go test -timeout's panic, a CI job
// cancelled, kill -9) runs no cleanup: what it made outside its own
// memory stays. Own writes a record of such a thing into LedgerDir, with
// the owner's process id and start time; Sweep, in a later test binary,
// removes what the records of owners that are gone name. Records are
// files KIND.NAME holding "PID STARTTIME" and a detail line.

// LedgerDir holds the records (root's tests write /run; others a folder
// under the temporary folder).
func LedgerDir() string {
	if os.Geteuid() == 0 {
		return "/run/sfkvm-test-owned"
	}
	return filepath.Join(os.TempDir(), "sfkvm-test-owned-"+strconv.Itoa(os.Geteuid()))
}

// Own records that this process made kind/name (detail: what else its
// removal needs) and returns the func that drops the record, to call once
// the thing is removed.
func Own(kind, name, detail string) (drop func(), err error) {
	if strings.ContainsAny(kind, "./") || strings.Contains(name, "/") || kind == "" || name == "" {
		return nil, fmt.Errorf("testenv.Own: bad kind %q or name %q", kind, name)
	}
	start, err := startTime(os.Getpid())
	if err != nil {
		return nil, err
	}
	dir := LedgerDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f := filepath.Join(dir, kind+"."+name)
	if err := os.WriteFile(f, fmt.Appendf(nil, "%d %s\n%s\n", os.Getpid(), start, detail), 0o600); err != nil {
		return nil, err
	}
	return func() { os.Remove(f) }, nil
}

// Sweep calls clean for every record of kind whose owner process is gone,
// and drops the records that clean removed; it returns what clean could
// not remove, each error naming the record.
func Sweep(kind string, clean func(name, detail string) error) error {
	files, _ := filepath.Glob(filepath.Join(LedgerDir(), kind+".*"))
	var errs []error
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // another sweeper took it
		}
		head, detail, _ := bytes.Cut(b, []byte("\n"))
		fields := strings.Fields(string(head))
		if len(fields) != 2 {
			os.Remove(f)
			continue
		}
		pid, _ := strconv.Atoi(fields[0])
		if st, err := startTime(pid); err == nil && st == fields[1] {
			continue // its owner still runs
		}
		name := strings.TrimPrefix(filepath.Base(f), kind+".")
		if err := clean(name, strings.TrimSpace(string(detail))); err != nil {
			errs = append(errs, fmt.Errorf("a %s left by test process %d, %s: %w", kind, pid, name, err))
			continue
		}
		os.Remove(f)
	}
	return errors.Join(errs...)
}

// StartTime returns pid's start time (clock ticks since boot, field 22 of
// /proc/PID/stat): with the pid, it names one process for good.
func StartTime(pid int) (string, error) { return startTime(pid) }

func startTime(pid int) (string, error) {
	if pid <= 0 {
		return "", errors.New("no such process")
	}
	f, err := ProcStat(pid)
	if err != nil {
		return "", err
	}
	if len(f) < 20 {
		return "", fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	return f[19], nil
}

// ProcStat returns the fields of /proc/PID/stat after the command name,
// which is in parentheses and may hold spaces: [0] is the state (R, S,
// Z, X...), [1] the parent's pid, [19] the start time.
func ProcStat(pid int) ([]string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	return strings.Fields(string(b[i+1:])), nil
}

// sharedTemp is the temporary folder as the binary found it, before
// TempRoot gave it one of its own.
var sharedTemp string

// SharedTempDir is the temporary folder that test binaries share: TMPDIR
// as the binary was started with, not the folder of its own that
// TempRoot gave it. For what outlives one binary on purpose (libvirtdtest's
// capabilities of QEMU).
func SharedTempDir() string {
	if sharedTemp != "" {
		return sharedTemp
	}
	return os.TempDir()
}

// TempRoot makes a folder for every temporary file of this test binary
// (t.TempDir and os.MkdirTemp go there: it sets TMPDIR) and returns the
// func that removes it; a folder of a binary that was killed before is
// removed by the next one. For TestMain, Main does just that; a TestMain
// with more to do calls TempRoot itself.
func TempRoot() (done func()) {
	base := os.TempDir()
	sharedTemp = base
	// Folders of binaries that are gone (their records are kept beside).
	if err := Sweep("tmpdir", func(name, dir string) error {
		if parent := filepath.Dir(dir); parent != filepath.Clean(base) && parent != "/tmp" || !strings.HasPrefix(filepath.Base(dir), "sfkvm-") {
			return nil // not ours to remove; drop the record
		}
		return os.RemoveAll(dir)
	}); err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
	}
	dir, err := os.MkdirTemp(base, "sfkvm-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv: no folder of its own for the test binary:", err)
		return func() {}
	}
	// As /tmp: the tests run programs as other users (test accounts,
	// the CLI under setpriv) that must reach their files here.
	if err := os.Chmod(dir, 0o1777); err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
	}
	drop, err := Own("tmpdir", filepath.Base(dir), dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		drop = func() {}
	}
	old, had := os.LookupEnv("TMPDIR")
	os.Setenv("TMPDIR", dir)
	return func() {
		if had {
			os.Setenv("TMPDIR", old)
		} else {
			os.Unsetenv("TMPDIR")
		}
		os.RemoveAll(dir)
		drop()
	}
}

// Main is a TestMain that gives the test binary a temporary folder of its
// own (TempRoot), removed by the next run when this one is killed (go
// test -timeout runs no cleanup):
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
func Main(m *testing.M) {
	done := TempRoot()
	code := m.Run()
	done()
	os.Exit(code)
}
