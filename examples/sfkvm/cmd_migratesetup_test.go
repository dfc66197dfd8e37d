package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/sdfacility/sdtest"
)

func TestMigratesetupRegister(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sfkvm", "hostinfo")
	r := runCLI(t, "", "migratesetup", "-c", "-i", "10.20.30.40", "-w", "off", "--cfname", "cfhost1", "--hostinfo", path)
	if r.code != exitOK || r.stdout != "registered host-cfname cfhost1 host-ip 10.20.30.40 weight-link off in "+path+"\n" || r.stderr != "" {
		t.Fatalf("%+v", r)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode() != 0o600 || fi.Size() != migratesetup.SectorSize {
		t.Fatalf("%v %v", fi, err)
	}
	got, err := migratesetup.ReadFile(context.Background(), path)
	if err != nil || got.CFName != "cfhost1" || got.IP.String() != "10.20.30.40" || !got.NoWeightLink {
		t.Errorf("%+v %v", got, err)
	}

	// JSON, a warning on stderr, and the file replaced.
	r = runCLI(t, "", "migratesetup", "-c", "-i", "::ffff:10.20.30.41", "--cfname", "cfhost1", "--hostinfo", path, "--format=json")
	var rep migratesetup.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != exitOK || rep.Host == nil {
		t.Fatalf("%+v: %v", r, err)
	}
	if rep.Schema != migratesetup.Schema || rep.Action != "register" || rep.Path != path || rep.Host.IP.String() != "::ffff:10.20.30.41" ||
		rep.Host.CFName != "cfhost1" || rep.Host.NoWeightLink || len(rep.Warnings) != 1 || rep.Warnings[0].Code != migratesetup.CodeIPv4Mapped {
		t.Errorf("%+v", rep)
	}
	if !strings.Contains(r.stderr, "warning: ip-v4-mapped") {
		t.Errorf("no warning on stderr: %q", r.stderr)
	}
}

func TestMigratesetupRegisterRefusesABadAddress(t *testing.T) {
	for _, ip := range []string{"fe80::1", "fe80::1%eth0", "10.0.0.300", "127.0.0.1", "::", "host1"} {
		t.Run(ip, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hostinfo")
			r := runCLI(t, "", "migratesetup", "-c", "-i", ip, "--cfname", "cfhost1", "--hostinfo", path)
			if r.code != exitConfig || !strings.Contains(r.stderr, "error: ip-") {
				t.Errorf("%+v", r)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Error("a file was written")
			}
		})
	}
	r := runCLI(t, "", "migratesetup", "-c", "-i", "10.0.0.1", "--cfname", "a b", "--hostinfo", filepath.Join(t.TempDir(), "h"))
	if r.code != exitConfig || !strings.Contains(r.stderr, "cfname-invalid") {
		t.Errorf("a bad CF name: %+v", r)
	}
}

func TestMigratesetupRegisterCannotWrite(t *testing.T) {
	// A file where the folder should be: nothing can be written, even as root.
	dir := t.TempDir()
	blocker := filepath.Join(dir, "sfkvm")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", "migratesetup", "-c", "-i", "10.0.0.1", "--cfname", "cfhost1", "--hostinfo", filepath.Join(blocker, "hostinfo"))
	if r.code != exitFailed || !strings.Contains(r.stderr, "registering host information") || r.stdout != "" {
		t.Errorf("%+v", r)
	}
	for err, want := range map[error]int{
		&os.PathError{Op: "open", Path: "/var/lib/sfkvm", Err: syscall.EACCES}: exitNoPerm,
		&os.PathError{Op: "mkdir", Path: "/var/lib/sfkvm", Err: syscall.EPERM}: exitNoPerm,
		&os.PathError{Op: "open", Path: "/var/lib/sfkvm", Err: syscall.EROFS}:  exitFailed,
	} {
		if got := registerExitCode(fmt.Errorf("registering host information: %w", err)); got != want {
			t.Errorf("%v: exit %d, want %d", err, got, want)
		}
	}
}

func TestMigratesetupRegisterReadsCFTool(t *testing.T) {
	p := sdtest.Install(t, sdtest.Config{Nodes: sdNodes, LocalNode: "cfhost2"})
	path := filepath.Join(t.TempDir(), "hostinfo")
	r := runCLI(t, "", "migratesetup", "-c", "-i", "2001:db8::2", "--cftool", p.CFTool, "--hostinfo", path)
	if r.code != exitOK || r.stdout != "registered host-cfname cfhost2 host-ip 2001:db8::2 weight-link on in "+path+"\n" {
		t.Fatalf("%+v", r)
	}
	if calls := p.Calls(t); !slices.Equal(calls, []string{"cftool -l"}) {
		t.Errorf("calls %q", calls)
	}

	// A bad address is refused before cftool runs.
	r = runCLI(t, "", "migratesetup", "-c", "-i", "fe80::2", "--cftool", p.CFTool, "--hostinfo", path)
	if r.code != exitConfig || len(p.Calls(t)) != 1 {
		t.Errorf("%+v, calls %q", r, p.Calls(t))
	}
}

func TestMigratesetupRegisterWithoutCFTool(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hostinfo")
	for name, cftool := range map[string]string{
		"missing":   filepath.Join(t.TempDir(), "cftool"),
		"fails":     "/bin/false",
		"no output": "/bin/true", // no row after the header
	} {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, "", "migratesetup", "-c", "-i", "10.0.0.1", "--cftool", cftool, "--hostinfo", path)
			if r.code != exitUnavailable || !strings.Contains(r.stderr, "--cfname NAME") {
				t.Errorf("%+v", r)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Error("a file was written")
			}
		})
	}
}

func TestMigratesetupUsage(t *testing.T) {
	for name, args := range map[string][]string{
		"no mode":               {},
		"two modes":             {"-c", "-s", "g"},
		"-c without -i":         {"-c", "--cfname", "n"},
		"-w on":                 {"-c", "-i", "10.0.0.1", "--cfname", "n", "-w", "on"},
		"-c with names":         {"-c", "-i", "10.0.0.1", "--cfname", "n", "guest"},
		"-s without names":      {"-s"},
		"--force alone":         {"-s", "g", "--force"},
		"--parallel 0":          {"-s", "g", "--parallel", "0"},
		"unknown flag":          {"-s", "g", "--bogus"},
		"bad format":            {"-s", "g", "--format=xml"},
		"flag after name wrong": {"-d", "g", "--timeout", "soon"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, "", append([]string{"migratesetup"}, args...)...)
			if r.code != exitUsage || r.stdout != "" || r.stderr == "" {
				t.Errorf("%+v", r)
			}
		})
	}
}

func TestParseFlagsInterleaved(t *testing.T) {
	e := &env{stderr: &strings.Builder{}}
	fs := newFlags(e, "x", "")
	dry := fs.Bool("dry-run", false, "")
	uri := fs.String("connect", "", "")
	_, ok := parseFlags(fs, []string{"a", "--dry-run", "b", "--connect", "test:///default", "c", "--", "--d", "-e"})
	names := fs.Args()
	if !ok || !slices.Equal(names, []string{"a", "b", "c", "--d", "-e"}) || !*dry || *uri != "test:///default" {
		t.Errorf("names %q ok %v dry %v uri %q", names, ok, *dry, *uri)
	}
}

// --hostinfo must be a clean absolute path: "" used to write the default
// path and report "in ", and "./hi" was accepted by -c and refused by -s.
func TestMigratesetupRefusesAnEmptyOrRelativeHostinfo(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, p := range []string{"", "./hi", "hi", "/var/lib/../lib/sfkvm/hostinfo"} {
		for _, mode := range [][]string{{"-c", "-i", "10.0.0.1", "--cfname", "cfhost1"}, {"-s", "guest1"}} {
			args := append(append([]string{"migratesetup"}, mode...), "--hostinfo", p)
			r := runCLI(t, "", args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, "--hostinfo") || r.stdout != "" {
				t.Errorf("%q: %+v", args, r)
			}
		}
	}
	if ents, _ := os.ReadDir("."); len(ents) != 0 {
		t.Errorf("files were written: %v", ents)
	}
}

// /dev/null, a FIFO or a device at --hostinfo is refused (77), never
// replaced by a regular file.
func TestMigratesetupRegisterRefusesADeviceOrFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	paths := []string{fifo}
	if os.Geteuid() == 0 {
		dev := filepath.Join(dir, "null")
		if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, dev)
	}
	for _, p := range paths {
		before, _ := os.Lstat(p)
		r := runCLI(t, "", "migratesetup", "-c", "-i", "192.0.2.1", "--cfname", "cfhost1", "--hostinfo", p)
		if r.code != exitNoPerm || !strings.Contains(r.stderr, "not a regular file") || r.stdout != "" {
			t.Errorf("%s: %+v", p, r)
		}
		after, err := os.Lstat(p)
		if err != nil || after.Mode() != before.Mode() {
			t.Errorf("%s changed: %v %v", p, after, err)
		}
	}
}
