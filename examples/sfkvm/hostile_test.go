package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/testenv"
)

// The hostile inputs and faults of issue 10, in one table: what a hostile
// user, a careless administrator or a failing machine would try. Every
// case must end in time with its exit code and message, print none of its
// secrets, and leave everything on disk as it was.

// hostileCase is one attempt. setup makes what it needs under dir (a
// folder of the test's own) and returns the command's arguments and stdin.
type hostileCase struct {
	name    string
	setup   func(t *testing.T, dir string) (args []string, stdin string)
	code    int
	message string   // stderr must contain it
	secrets []string // no output may contain any of them
}

// alwaysSecret appears in every case's stdin or files where a password
// goes; it must never be printed.
const alwaysSecret = "Secret-pw1"

// hostileTimeout bounds every case: nothing may hang.
const hostileTimeout = 30 * time.Second

func runHostile(t *testing.T, c hostileCase) {
	t.Helper()
	dir := t.TempDir()
	args, stdin := c.setup(t, dir)
	before := testenv.DirState(t, dir)
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
		done <- result{code, out.String(), errb.String()}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(hostileTimeout):
		t.Fatalf("sfkvm %q hung (more than %v)", args, hostileTimeout)
	}
	if r.code != c.code || !strings.Contains(r.stderr, c.message) {
		t.Errorf("sfkvm %q: exit %d, stderr:\n%s\nwant exit %d and %q", args, r.code, r.stderr, c.code, c.message)
	}
	if strings.ContainsAny(r.stdout+r.stderr, "\x1b\a\r") {
		t.Errorf("sfkvm %q printed a raw control character (terminal escape):\n%q", args, r.stdout+r.stderr)
	}
	for _, s := range append([]string{alwaysSecret}, c.secrets...) {
		if strings.Contains(r.stdout+r.stderr, s) {
			t.Errorf("sfkvm %q printed the secret %q:\n%s%s", args, s, r.stdout, r.stderr)
		}
	}
	if after := testenv.DirState(t, dir); after != before {
		t.Errorf("sfkvm %q changed the disk:\nbefore:\n%s\nafter:\n%s", args, before, after)
	}
}

// hostile file makers, each returning the path it made.

func writeFile(t *testing.T, path, data string, mode os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := testenv.WriteExecutable(path, []byte(data), mode); err != nil { // scripts among them
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func makeFIFO(t *testing.T, path string) string {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func makeDir(t *testing.T, path string, mode os.FileMode) string {
	t.Helper()
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func makeLink(t *testing.T, target, path string) string {
	t.Helper()
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// plainConf is a kvmguests.conf with a plain-text password where a token
// belongs: a careless administrator's file.
const plainConf = "guest11 cfhost1 cluster1 cfguest11 10.20.30.50 user1 " + alwaysSecret + "\n"

var register = []string{"migratesetup", "-c", "-i", "192.0.2.1", "--cfname", "cfhost1", "--hostinfo"}

func args(parts ...any) []string {
	var out []string
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			out = append(out, v)
		case []string:
			out = append(out, v...)
		}
	}
	return out
}

var hostileCases = []hostileCase{
	// Nothing lost: what is not a regular file is never replaced.
	{name: "hostinfo is a FIFO", code: exitNoPerm, message: "not a regular file",
		setup: func(t *testing.T, dir string) ([]string, string) {
			return args(register, makeFIFO(t, filepath.Join(dir, "hostinfo"))), ""
		}},
	{name: "hostinfo is empty", code: exitUsage, message: "--hostinfo",
		setup: func(t *testing.T, dir string) ([]string, string) { return args(register, ""), "" }},
	{name: "hostinfo is relative", code: exitUsage, message: "not an absolute path",
		setup: func(t *testing.T, dir string) ([]string, string) { t.Chdir(dir); return args(register, "./hi"), "" }},
	{name: "hostinfo folder is a symlink", code: exitNoPerm, message: "symbolic link",
		setup: func(t *testing.T, dir string) ([]string, string) {
			real := makeDir(t, filepath.Join(dir, "real"), 0o755)
			return args(register, filepath.Join(makeLink(t, real, filepath.Join(dir, "link")), "hostinfo")), ""
		}},
	{name: "hostinfo folder writable by others", code: exitNoPerm, message: "accessible to group or others",
		setup: func(t *testing.T, dir string) ([]string, string) {
			return args(register, filepath.Join(makeDir(t, filepath.Join(dir, "open"), 0o1777), "hostinfo")), ""
		}},
	{name: "hostinfo is a symlink to a file of another user", code: exitNoPerm, message: "not a regular file",
		setup: func(t *testing.T, dir string) ([]string, string) {
			victim := writeFile(t, filepath.Join(dir, "victim"), "theirs\n", 0o644)
			return args(register, makeLink(t, victim, filepath.Join(dir, "hostinfo"))), ""
		}},

	// Nothing leaked: a plain-text password in the file is never shown, nor its length.
	{name: "check: a plain-text password", code: exitConfig, message: "passwd",
		secrets: []string{fmt.Sprintf("%d char", len(alwaysSecret))},
		setup: func(t *testing.T, dir string) ([]string, string) {
			return args("check", "--no-perm", "-f", writeFile(t, filepath.Join(dir, "k.conf"), plainConf, 0o600)), ""
		}},
	{name: "check --format=json: a plain-text password", code: exitConfig, message: "",
		secrets: []string{fmt.Sprintf("%d char", len(alwaysSecret))},
		setup: func(t *testing.T, dir string) ([]string, string) {
			return args("check", "--no-perm", "--format=json", "-f", writeFile(t, filepath.Join(dir, "k.conf"), plainConf, 0o600)), ""
		}},
	{name: "cipher: a password against the policy", code: exitConfig, message: "",
		secrets: []string{"Bad=pw1"},
		setup: func(t *testing.T, dir string) ([]string, string) {
			key := filepath.Join(dir, "key")
			if _, err := cipher.CreateKeyFile(key); err != nil {
				t.Fatal(err)
			}
			return args("cipher", "-c", "--password-stdin", "--native", "--key", key,
				"--guest-name", "guest11", "--guest-ip", "10.20.30.50", "--guest-user", "user1"), "Bad=pw1\n"
		}},
}

// script writes an executable shell script: a fake vendor tool.
func script(t *testing.T, path, body string) string {
	t.Helper()
	return writeFile(t, path, "#!/bin/sh\n"+body+"\n", 0o755)
}

// noGuests is a kvmguests.conf without a guest: commands that would dial
// the guests of a file get as far as their own checks and no further, so
// that no packet ever leaves this machine even if a check regressed (the
// same for --hosts, which names only 127.0.0.1 here).
const noGuests = "# no guests\n"

var moreHostileCases = []hostileCase{
	// Nothing hangs: FIFOs and devices where files belong.
	{name: "check: a FIFO as the file", code: exitNoInput, message: "not a regular file (a FIFO)",
		setup: func(t *testing.T, dir string) ([]string, string) {
			return args("check", "-f", makeFIFO(t, filepath.Join(dir, "k.conf"))), ""
		}},
	{name: "check --no-perm: a FIFO as the file", code: exitNoInput, message: "not a regular file (a FIFO)",
		setup: func(t *testing.T, dir string) ([]string, string) {
			return args("check", "--no-perm", "-f", makeFIFO(t, filepath.Join(dir, "k.conf"))), ""
		}},
	{name: "check --no-perm: /dev/zero", code: exitNoInput, message: "not a regular file (a character device)",
		setup: func(t *testing.T, dir string) ([]string, string) {
			return args("check", "--no-perm", "-f", "/dev/zero"), ""
		}},
	{name: "compare: /dev/zero", code: exitNoInput, message: "not a regular file",
		setup: func(t *testing.T, dir string) ([]string, string) {
			return args("compare", writeFile(t, filepath.Join(dir, "k.conf"), plainConf, 0o600), "/dev/zero"), ""
		}},
	{name: "compare: a FIFO", code: exitNoInput, message: "not a regular file (a FIFO)",
		setup: func(t *testing.T, dir string) ([]string, string) {
			return args("compare", writeFile(t, filepath.Join(dir, "k.conf"), plainConf, 0o600), makeFIFO(t, filepath.Join(dir, "fifo"))), ""
		}},
	{name: "site: a FIFO as the hosts file", code: exitNoInput, message: "not a regular file (a FIFO)",
		setup: func(t *testing.T, dir string) ([]string, string) {
			return args("site", "--site-hosts-file", makeFIFO(t, filepath.Join(dir, "hosts"))), ""
		}},
	{name: "site: /dev/zero as the hosts file", code: exitNoInput, message: "not a regular file (a character device)",
		setup: func(t *testing.T, dir string) ([]string, string) {
			return args("site", "--site-hosts-file", "/dev/zero"), ""
		}},
	{name: "check: set-id bits on 0600", code: exitNoPerm, message: "file-mode",
		setup: func(t *testing.T, dir string) ([]string, string) {
			return args("check", "-f", writeFile(t, filepath.Join(dir, "k.conf"), noGuests, 0o600|os.ModeSetuid)), ""
		}},
	{name: "check: a symlink planted as the file", code: exitNoPerm, message: "file-symlink",
		setup: func(t *testing.T, dir string) ([]string, string) {
			real := writeFile(t, filepath.Join(dir, "real.conf"), noGuests, 0o600)
			return args("check", "-f", makeLink(t, real, filepath.Join(dir, "k.conf"))), ""
		}},

	// Secrets: password and key files through the one guarded open.
	{name: "preflight: a FIFO as --host-password-file", code: exitNoInput, message: "not a regular file (a FIFO)",
		setup: func(t *testing.T, dir string) ([]string, string) {
			conf := writeFile(t, filepath.Join(dir, "k.conf"), noGuests, 0o600)
			return args("preflight", "--no-perm", "-f", conf, "--hosts", "127.0.0.1", "--host-password-file", makeFIFO(t, filepath.Join(dir, "pw"))), ""
		}},
	{name: "preflight: a --host-password-file others can read", code: exitNoPerm, message: "accessible to group or others",
		setup: func(t *testing.T, dir string) ([]string, string) {
			conf := writeFile(t, filepath.Join(dir, "k.conf"), noGuests, 0o600)
			pw := writeFile(t, filepath.Join(dir, "pw"), alwaysSecret+"\n", 0o644)
			return args("preflight", "--no-perm", "-f", conf, "--hosts", "127.0.0.1", "--host-password-file", pw), ""
		}},
	{name: "probe: a FIFO as --key", code: exitNoInput, message: "not a regular file (a FIFO)",
		setup: func(t *testing.T, dir string) ([]string, string) {
			conf := writeFile(t, filepath.Join(dir, "k.conf"), noGuests, 0o600)
			return args("probe", "--no-perm", "-f", conf, "--key", makeFIFO(t, filepath.Join(dir, "key"))), ""
		}},
	{name: "probe --trust: known_hosts is a symlink to another file", code: exitNoPerm, message: "symbolic link",
		setup: func(t *testing.T, dir string) ([]string, string) {
			conf := writeFile(t, filepath.Join(dir, "k.conf"), noGuests, 0o600)
			victim := writeFile(t, filepath.Join(dir, "victim"), "theirs\n", 0o644)
			kh := makeLink(t, victim, filepath.Join(makeDir(t, filepath.Join(dir, "ssh"), 0o700), "known_hosts"))
			return args("probe", "--no-perm", "-f", conf, "--trust", "--known-hosts", kh, "--password-stdin"), alwaysSecret + "\n"
		}},

	// Passwords: one reader, CRLF or not; never the password or its length.
	{name: "cipher: CRLF and a character the policy refuses", code: exitConfig, message: "",
		secrets: []string{"Bad=pw1", fmt.Sprintf("%d char", len("Bad=pw1"))},
		setup: func(t *testing.T, dir string) ([]string, string) {
			key := filepath.Join(dir, "key")
			if _, err := cipher.CreateKeyFile(key); err != nil {
				t.Fatal(err)
			}
			return args("cipher", "-c", "--password-stdin", "--native", "--key", key,
				"--guest-name", "guest11", "--guest-ip", "10.20.30.50", "--guest-user", "user1"), "Bad=pw1\r\n"
		}},
	{name: "cipher: an sfcipher planted outside the vendor folders is never run", code: exitNoPerm, message: "",
		setup: func(t *testing.T, dir string) ([]string, string) {
			// The fake writes a file when it runs: the disk check would see it.
			spy := script(t, filepath.Join(dir, "bin", "sfcipher"), "cat > "+filepath.Join(dir, "bin", "stolen"))
			return args("cipher", "-c", "--password-stdin", "--sfcipher", spy), alwaysSecret + "\n"
		}},

	// Tools that hang or never stop printing.
	{name: "sd status: sdtool hangs", code: exitFailed, message: "did not finish",
		setup: func(t *testing.T, dir string) ([]string, string) {
			return args("sd", "status", "--timeout", "2s", "--sdtool", script(t, filepath.Join(dir, "sdtool"), "exec sleep 600")), ""
		}},
	{name: "sd status: sdtool prints for ever", code: exitFailed, message: "the command was stopped",
		setup: func(t *testing.T, dir string) ([]string, string) {
			return args("sd", "status", "--timeout", "20s", "--sdtool", script(t, filepath.Join(dir, "sdtool"), "exec yes 'Cluster Host   Agent'")), ""
		}},
	{name: "sd status: sdtool prints terminal escapes", code: exitFailed, message: `"\x1b]0;pwned\a\x1b[2J"`,
		setup: func(t *testing.T, dir string) ([]string, string) {
			return args("sd", "status", "--sdtool", script(t, filepath.Join(dir, "sdtool"), `printf '\033]0;pwned\007\033[2J' >&2; exit 3`)), ""
		}},
}

func TestHostileInputs(t *testing.T) {
	hostileCases := append(hostileCases, moreHostileCases...)
	for _, c := range hostileCases {
		t.Run(c.name, func(t *testing.T) { runHostile(t, c) })
	}
}
