package lab

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/safefile"
)

// A routes file may send only documentation addresses, and only to this
// machine: one route outside refuses the whole file.
func TestParseRoutesRules(t *testing.T) {
	for _, tc := range []struct{ name, text, err string }{
		{"lab routes", "# comment\n192.0.2.11:22 127.0.0.1:4000\n\n192.0.2.2:22 127.0.0.2:4001\n", ""},
		{"from a real address", "10.0.0.1:22 127.0.0.1:4000\n", "10.0.0.1 is outside 192.0.2.0/24"},
		{"from TEST-NET-2", "198.51.100.1:22 127.0.0.1:4000\n", "outside 192.0.2.0/24"},
		{"to another host", "192.0.2.11:22 192.0.2.12:22\n", "192.0.2.12 is outside 127.0.0.0/8"},
		{"to IPv6 loopback", "192.0.2.11:22 [::1]:4000\n", "outside 127.0.0.0/8"},
		{"a name", "192.0.2.11:22 localhost:4000\n", "ADDRESS:PORT"},
		{"no port", "192.0.2.11 127.0.0.1\n", "ADDRESS:PORT"},
		{"port 0", "192.0.2.11:22 127.0.0.1:0\n", "port 0"},
		{"three fields", "192.0.2.11:22 127.0.0.1:4000 x\n", "two fields"},
		{"twice", "192.0.2.11:22 127.0.0.1:4000\n192.0.2.11:22 127.0.0.1:4001\n", "twice"},
		{"empty", "# nothing\n", "no route"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parseRoutes(strings.NewReader(tc.text), "routes")
			if tc.err == "" {
				if err != nil || len(r) != 2 || r["192.0.2.2:22"] != "127.0.0.2:4001" {
					t.Errorf("got %v, %v", r, err)
				}
				return
			}
			if !errors.Is(err, ErrRoute) || !strings.Contains(err.Error(), tc.err) || r != nil {
				t.Errorf("got %v, %v; want ErrRoute saying %q", r, err, tc.err)
			}
		})
	}
}

// ReadRoutes opens the file as a secret: a file others may write (or
// read) is refused, and so is a symbolic link.
func TestReadRoutesFileRules(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "routes")
	if err := os.WriteFile(good, []byte("192.0.2.11:22 127.0.0.1:4000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRoutes(good); err != nil {
		t.Fatalf("ReadRoutes: %v", err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRoutes(link); !errors.Is(err, safefile.ErrSymlink) {
		t.Errorf("a symlink: %v, want ErrSymlink", err)
	}
	if err := os.Chmod(good, 0o620); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRoutes(good); !errors.Is(err, safefile.ErrMode) {
		t.Errorf("group-writable: %v, want ErrMode", err)
	}
	if _, err := ReadRoutes(filepath.Join(dir, "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v, want ErrNotExist", err)
	}
}

// WriteFiles leaves what another process needs: routes it can read back,
// the key that opens the file's tokens, the tools' scripts.
func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	l, err := Start(context.Background(), dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	f, err := l.WriteFiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r, err := ReadRoutes(f.Routes)
	if err != nil || len(r) != len(l.Routes) {
		t.Fatalf("ReadRoutes: %v, %v; want %v", r, err, l.Routes)
	}
	for from, to := range l.Routes {
		if r[from] != to {
			t.Errorf("route %s -> %s, want %s", from, r[from], to)
		}
	}
	if k, err := cipher.LoadKey(f.Key); err != nil || k.ID() != l.Key.ID() {
		t.Errorf("the key file: %v", err)
	}
	if b, err := os.ReadFile(f.HostPassword); err != nil || string(b) != string(l.Host2Password)+"\n" {
		t.Errorf("the host password file: %v", err)
	}
	for _, tool := range []string{f.SDTool, f.CFTool} {
		if fi, err := os.Stat(tool); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v, want mode 0700", tool, fi, err)
		}
	}
	if out, err := exec.Command(f.CFTool, "-c").Output(); err != nil || string(out) != "hostcluster\n" {
		t.Errorf("cftool -c: %q, %v", out, err)
	}
	if out, err := exec.Command(f.SDTool, "-s").Output(); err != nil || !strings.Contains(string(out), "cfhost2") {
		t.Errorf("sdtool -s: %q, %v", out, err)
	}
	if err := exec.Command(f.SDTool, "-b").Run(); err == nil {
		t.Error("sdtool -b: the kept lab's sdtool answers only -s, and says so")
	}
	if f.Libvirt != "" {
		t.Errorf("an in-memory store has no fixture, got %s", f.Libvirt)
	}
	// Each host's own files: cftool -l names that host.
	for _, h := range []struct{ name, ip, other, file, info string }{
		{HostName, HostIP, Host2IP, l.File, l.HostInfo}, {Host2Name, Host2IP, HostIP, l.Host2File, l.Host2Info},
	} {
		hf, ok := f.Host(h.name)
		if !ok || hf.IP != h.ip || hf.Other != h.other || hf.File != h.file || hf.HostInfo != h.info || hf.Libvirt != "" {
			t.Errorf("Files.Host(%s) = %+v, %v", h.name, hf, ok)
			continue
		}
		if out, err := exec.Command(hf.CFTool, "-l").Output(); err != nil || !strings.Contains(string(out), "\n"+h.name+" ") {
			t.Errorf("%s's cftool -l: %q, %v", h.name, out, err)
		}
	}
	// The hosts' keys, for --host-known-hosts: each host's server's.
	b, err := os.ReadFile(f.HostKnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{l.Host1.KnownHostsLine(HostIP + ":22"), l.Host2.KnownHostsLine(Host2IP + ":22")} {
		if !strings.Contains(string(b), line+"\n") {
			t.Errorf("host_known_hosts lacks %q:\n%s", line, b)
		}
	}
}
