package site_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/safefile"
	"github.com/sfkvm/sfkvm/site"
	"github.com/sfkvm/sfkvm/sshcheck"
)

func TestParseHost(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want sshcheck.Target
		err  string
	}{
		{"10.0.0.1", sshcheck.Target{Name: "10.0.0.1", Address: "10.0.0.1"}, ""},
		{"cfhost2:2222", sshcheck.Target{Name: "cfhost2:2222", Address: "cfhost2", Port: 2222}, ""},
		{"[fd00::5]:2222", sshcheck.Target{Name: "[fd00::5]:2222", Address: "fd00::5", Port: 2222}, ""},
		{"fd00::5", sshcheck.Target{Name: "fd00::5", Address: "fd00::5"}, ""},
		{"", sshcheck.Target{}, "empty host"},
		{"a:99999", sshcheck.Target{}, "from 1 to 65535"},
		{"a:b", sshcheck.Target{}, "from 1 to 65535"},
		{"a/b", sshcheck.Target{}, "not a host name"},
	} {
		got, err := site.ParseHost(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: %v, want an error saying %q", tc.in, err, tc.err)
		case tc.err == "" && (err != nil || got.Name != tc.want.Name || got.Address != tc.want.Address || got.Port != tc.want.Port):
			t.Errorf("%q: %+v %v, want %+v", tc.in, got, err, tc.want)
		}
	}
}

// TestReadHostsFile: hosts a line, comments and blanks skipped; what is
// wrong is named by file and line; a FIFO, a device or a folder where the
// list belongs is refused at once, never read (a FIFO with no writer would
// block an open for ever).
func TestReadHostsFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good", "# the cluster\n10.0.0.1\n\n  cfhost2:2222  # the second\n[fd00::5]:22\n")
	hosts, err := site.ReadHostsFile(good)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hosts {
		got = append(got, h.Address)
	}
	if strings.Join(got, " ") != "10.0.0.1 cfhost2 fd00::5" || hosts[1].Port != 2222 {
		t.Errorf("hosts %+v", hosts)
	}

	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		is   error
		says string
	}{
		{write("two", "h1\nh1 h2\n"), site.ErrHostsFile, ":2: one host a line, not \"h1 h2\""},
		{write("badport", "h1\n\nh3:0\n"), site.ErrHostsFile, ":3: host \"h3:0\": port"},
		{write("escape", "h\x1b[2J\n"), site.ErrHostsFile, `:1: host "h\x1b[2J": not a host name`},
		{write("empty", "# none\n"), site.ErrHostsFile, "empty: no hosts"},
		{write("huge", strings.Repeat("h\n", site.MaxHostsFile)), site.ErrHostsFile, "larger than"},
		{fifo, safefile.ErrNotRegular, "FIFO"},
		{"/dev/zero", safefile.ErrNotRegular, "not a regular file"},
		{dir, safefile.ErrNotRegular, "not a regular file"},
		{filepath.Join(dir, "none"), os.ErrNotExist, "no such file"},
		{chmod(t, write("open", "h1\n"), 0o666), safefile.ErrMode, "mode 0666: group or others can write it"},
		{chmod(t, write("group", "h1\n"), 0o664), safefile.ErrMode, "mode 0664"},
		{link(t, good, filepath.Join(dir, "link")), safefile.ErrSymlink, "symbolic link"},
	} {
		start := time.Now()
		_, err := site.ReadHostsFile(tc.path)
		if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("%s: %v; want %v saying %q", tc.path, err, tc.is, tc.says)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: took %v", tc.path, d)
		}
	}
}

func chmod(t *testing.T, path string, mode os.FileMode) string {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func link(t *testing.T, target, path string) string {
	t.Helper()
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestHostsFileOwner: a hosts file of another user is refused (that user
// could hide a host); root's or the caller's is read. Needs root to give
// the file away.
func TestHostsFileOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown a file to another user")
	}
	p := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(p, []byte("h1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := site.ReadHostsFile(p); err != nil {
		t.Fatalf("root's own file: %v", err)
	}
	if err := os.Chown(p, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	if _, err := site.ReadHostsFile(p); !errors.Is(err, safefile.ErrOwner) || !strings.Contains(err.Error(), "uid 4242, want root or uid 0") {
		t.Errorf("another user's file: %v", err)
	}
}
