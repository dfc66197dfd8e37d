package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/sdfacility/sdtest"
)

// jsonRun is one run of a command with --format=json.
type jsonRun struct {
	name string
	// setup makes what the run needs under dir and returns its arguments
	// (after the command's name) and its stdin.
	setup func(t *testing.T, dir string) (args []string, stdin string)
	// unavailable, when not 0, is the exit code of a run whose service
	// cannot be had here (libvirt's test driver in a build without cgo):
	// the run is skipped.
	unavailable int
}

// jsonRuns are the runs of every command that prints JSON; noJSON are
// the commands that print none, and why. A command in neither fails
// TestJSONContract.
var (
	jsonRuns = map[string][]jsonRun{
		"check": {{name: "manual example", setup: func(t *testing.T, dir string) ([]string, string) {
			return []string{"--no-perm", "-f", "testdata/manual.conf"}, ""
		}}},
		"compare": {{name: "two copies that differ", setup: func(t *testing.T, dir string) ([]string, string) {
			return []string{"testdata/ok.conf", "testdata/manual.conf"}, ""
		}}},
		"cipher": {
			{name: "new key", setup: func(t *testing.T, dir string) ([]string, string) {
				return []string{"--new-key", filepath.Join(dir, "key")}, ""
			}},
			{name: "sealed token", setup: func(t *testing.T, dir string) ([]string, string) {
				k, err := cipher.CreateKeyFile(filepath.Join(dir, "key"))
				if err != nil {
					t.Fatal(err)
				}
				k.Wipe()
				return []string{"-c", "--native", "--key", filepath.Join(dir, "key"), "--guest-name", "guest11",
					"--guest-ip", "192.0.2.11", "--guest-user", "user1", "--password-stdin"}, "Passw0rd\n"
			}},
		},
		"enroll": {{name: "a guest not reached", setup: func(t *testing.T, dir string) ([]string, string) {
			// The guest is 127.0.0.1:1, where nobody listens: the report
			// ends at its host key, and is printed all the same.
			k, err := cipher.CreateKeyFile(filepath.Join(dir, "key"))
			if err != nil {
				t.Fatal(err)
			}
			k.Wipe()
			return append(enrollArgs("f", "known-hosts", "sfcipher"), "-f", filepath.Join(dir, "kvmguests.conf"),
				"--known-hosts", filepath.Join(dir, "known_hosts"), "--native", "--key", filepath.Join(dir, "key")), enrollPassword
		}}},
		"unenroll": {{name: "a guest not enrolled", setup: func(t *testing.T, dir string) ([]string, string) {
			conf := writeFile(t, filepath.Join(dir, "kvmguests.conf"), "guest11 cfhost1 cluster1 cfguest11 192.0.2.11 user1 D0860AB04E1B8FA3\n", 0o600)
			return []string{"<nosuch>&", "-f", conf, "--dry-run"}, ""
		}}},
		"hostinfo": {{name: "a registered file", setup: func(t *testing.T, dir string) ([]string, string) {
			path := filepath.Join(dir, "hostinfo")
			if r := runCLI(t, "", "migratesetup", "-c", "-i", "192.0.2.1", "-w", "off", "--cfname", "cfhost1", "--hostinfo", path); r.code != exitOK {
				t.Fatalf("register: %+v", r)
			}
			return []string{"--device", path}, ""
		}}},
		"migratesetup": {
			{name: "register", setup: func(t *testing.T, dir string) ([]string, string) {
				return []string{"-c", "-i", "::ffff:192.0.2.1", "--cfname", "cfhost1", "--hostinfo", filepath.Join(dir, "hostinfo")}, ""
			}},
			{name: "set up a running guest", unavailable: exitUnavailable, setup: func(t *testing.T, dir string) ([]string, string) {
				path := filepath.Join(dir, "hostinfo")
				if r := runCLI(t, "", "migratesetup", "-c", "-i", "192.0.2.1", "--cfname", "cfhost1", "--hostinfo", path); r.code != exitOK {
					t.Fatalf("register: %+v", r)
				}
				return []string{"-s", "test", "absent", "--dry-run", "--connect", "test:///default", "--hostinfo", path}, ""
			}},
		},
		"preflight": {{name: "nothing installed", setup: func(t *testing.T, dir string) ([]string, string) {
			return []string{"-f", dir + "/none.conf", "--hostinfo", dir + "/hostinfo", "--sdtool", dir + "/sdtool", "--cftool", dir + "/cftool",
				"--connect", "test://" + dir + "/missing.xml", "--known-hosts", dir + "/known_hosts"}, ""
		}}},
		"probe": {{name: "guests not reached", setup: func(t *testing.T, dir string) ([]string, string) {
			conf := writeFile(t, filepath.Join(dir, "kvmguests.conf"), "guest11 cfhost1 cluster1 cfguest11 192.0.2.11 user1 D0860AB04E1B8FA3\n", 0o600)
			return []string{"-f", conf, "--known-hosts", filepath.Join(dir, "known_hosts"), "--timeout", "50ms", "--password-stdin"}, "pw\n"
		}}},
		"rotate": {{name: "an unknown guest", setup: func(t *testing.T, dir string) ([]string, string) {
			conf := writeFile(t, filepath.Join(dir, "kvmguests.conf"), "guest11 cfhost1 cluster1 cfguest11 192.0.2.11 user1 D0860AB04E1B8FA3\n", 0o600)
			k, err := cipher.CreateKeyFile(filepath.Join(dir, "key"))
			if err != nil {
				t.Fatal(err)
			}
			k.Wipe()
			return []string{"-f", conf, "--guests", "<nosuch>&", "--key", filepath.Join(dir, "key"), "--native", "--password-stdin"}, "NewPassw0rd\n"
		}}},
		"sd": {{name: "status", setup: func(t *testing.T, dir string) ([]string, string) {
			p := sdtest.Install(t, sdtest.Config{Nodes: sdNodes, Running: true})
			return []string{"status", "--sdtool", p.SDTool}, ""
		}}},
		"migrate": {
			{name: "a host not reached", setup: func(t *testing.T, dir string) ([]string, string) {
				return migrateJSONArgs(t, dir, "guest11", "--to", "127.0.0.1:1"), "pw\n"
			}},
			{name: "nothing to recover", setup: func(t *testing.T, dir string) ([]string, string) {
				return migrateJSONArgs(t, dir, "guest11", "--recover"), "pw\n"
			}},
		},
		"drill": {{name: "a host not reached", setup: func(t *testing.T, dir string) ([]string, string) {
			return migrateJSONArgs(t, dir, "guest11", "--hosts", "127.0.0.1:1"), "pw\n"
		}}},
		"site": {{name: "a host not reached", setup: func(t *testing.T, dir string) ([]string, string) {
			id := writeIdentity(t, dir, "id", "", 0o600)
			return []string{"--hosts", "127.0.0.1:1", "--identity", id}, ""
		}}},
	}
	noJSON = map[string]string{
		"demo": "it shows the procedure step by step, for a person",
	}
)

// jsonKey is the one spelling of a key: preflight's snake_case.
var jsonKey = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// durationKey is a key that names a length of time: it must end in
// _seconds and hold a number.
var durationKey = regexp.MustCompile(`duration|seconds|elapsed|millis|^ms$|_ms$|timeout|^took$`)

// TestJSONContract runs every command that prints JSON and holds its
// output to the one contract of every command (see the README's "JSON
// reports"): exactly one JSON value on stdout, an object whose "schema"
// is sfkvm.COMMAND/v1, snake_case keys at every depth, durations as
// numbers of seconds in keys ending in _seconds, and no HTML escaping.
func TestJSONContract(t *testing.T) {
	for name := range commands {
		_, runs := jsonRuns[name]
		_, none := noJSON[name]
		help := runCLI(t, "", "help", name)
		hasFormat := strings.Contains(help.stdout, "-format")
		switch {
		case runs && none:
			t.Errorf("%s is both in jsonRuns and in noJSON", name)
		case !runs && !none:
			t.Errorf("command %s: no run in jsonRuns (its JSON must follow the contract) and not in noJSON", name)
		case none && hasFormat:
			t.Errorf("command %s has --format but is in noJSON", name)
		case runs && !hasFormat:
			t.Errorf("command %s has runs in jsonRuns but no --format in its help", name)
		}
	}
	names := make([]string, 0, len(jsonRuns))
	for name := range jsonRuns {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if _, ok := commands[name]; !ok {
			t.Errorf("jsonRuns names %s, which is no command", name)
			continue
		}
		for _, jr := range jsonRuns[name] {
			t.Run(name+"/"+jr.name, func(t *testing.T) {
				args, stdin := jr.setup(t, t.TempDir())
				r := runCLI(t, stdin, append([]string{name, "--format=json"}, args...)...)
				if jr.unavailable != 0 && r.code == jr.unavailable {
					t.Skipf("unavailable here (exit %d): %s", r.code, r.stderr)
				}
				if err := checkJSONContract([]byte(r.stdout), "sfkvm."+name+"/v1"); err != nil {
					t.Errorf("exit %d: %v\nstdout:\n%s\nstderr:\n%s", r.code, err, r.stdout, r.stderr)
				}
			})
		}
	}
}

// checkJSONContract returns what in out breaks the contract, or nil.
func checkJSONContract(out []byte, schema string) error {
	var errs []error
	for _, esc := range []string{`\u003c`, `\u003e`, `\u0026`} {
		if bytes.Contains(out, []byte(esc)) {
			errs = append(errs, fmt.Errorf("HTML escape %s in the output", esc))
		}
	}
	d := json.NewDecoder(bytes.NewReader(out))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		return errors.Join(append(errs, fmt.Errorf("stdout is not JSON: %v", err))...)
	}
	var more any
	if err := d.Decode(&more); err != io.EOF {
		errs = append(errs, fmt.Errorf("more than one JSON value on stdout (%v)", err))
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return errors.Join(append(errs, fmt.Errorf("stdout is a %T, not an object", doc))...)
	}
	if obj["schema"] != schema {
		errs = append(errs, fmt.Errorf("schema %v, want %s", obj["schema"], schema))
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				p := path + "." + k
				if !jsonKey.MatchString(k) {
					errs = append(errs, fmt.Errorf("key %s is not snake_case (^[a-z][a-z0-9_]*$)", p))
				}
				if durationKey.MatchString(k) || strings.HasSuffix(k, "_seconds") {
					if _, isNum := x.(json.Number); !strings.HasSuffix(k, "_seconds") || !isNum {
						errs = append(errs, fmt.Errorf("key %s = %v: a duration is a number in a key ending in _seconds", p, x))
					}
				}
				walk(p, x)
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), x)
			}
		}
	}
	walk("", doc)
	return errors.Join(errs...)
}

// TestJSONContractChecker: the checker itself finds each breach.
func TestJSONContractChecker(t *testing.T) {
	const schema = "sfkvm.x/v1"
	for _, tc := range []struct{ out, says string }{
		{`{"schema":"sfkvm.x/v1","a_b":[{"c_seconds":1.5}]}`, ""},
		{`[{"schema":"sfkvm.x/v1"}]`, "not an object"},
		{`{"schema":"sfkvm.x/v1"}{}`, "more than one"},
		{`{"schema":"sfkvm.y/v1"}`, "schema sfkvm.y/v1"},
		{`{"a":1}`, "schema <nil>"},
		{`{"schema":"sfkvm.x/v1","x":[{"guest-name":"g"}]}`, "key .x[0].guest-name is not snake_case"},
		{`{"schema":"sfkvm.x/v1","guest_IP":"g"}`, "key .guest_IP is not snake_case"},
		{`{"schema":"sfkvm.x/v1","ms":12}`, "key .ms = 12"},
		{`{"schema":"sfkvm.x/v1","seconds":12}`, "key .seconds = 12"},
		{`{"schema":"sfkvm.x/v1","h":{"duration_seconds":"1s"}}`, "key .h.duration_seconds = 1s"},
		{`{"schema":"sfkvm.x/v1","t":"\u003ctoken\u003e"}`, `HTML escape \u003c`},
		{`{"schema":"sfkvm.x/v1","t":"a \u0026 b"}`, `HTML escape \u0026`},
	} {
		err := checkJSONContract([]byte(tc.out), schema)
		if tc.says == "" && err != nil || tc.says != "" && (err == nil || !strings.Contains(err.Error(), tc.says)) {
			t.Errorf("%s: %v, want %q", tc.out, err, tc.says)
		}
	}
}

// migrateJSONArgs is a migrate or drill command line whose hosts are not
// reached: this host's libvirt is a session daemon that does not run, the
// other host 127.0.0.1:1, where nobody listens.
func migrateJSONArgs(t *testing.T, dir string, args ...string) []string {
	conf := writeFile(t, filepath.Join(dir, "kvmguests.conf"), "guest11 cfhost1 cluster1 cfguest11 192.0.2.11 user1 D0860AB04E1B8FA3\n", 0o600)
	t.Setenv("XDG_RUNTIME_DIR", dir)
	id := writeIdentity(t, dir, "id", "", 0o600)
	return append(args, "-f", conf, "--password-stdin", "--state-dir", filepath.Join(dir, "state"), "--connect", "qemu:///session",
		"--hostinfo", filepath.Join(dir, "hostinfo"), "--known-hosts", filepath.Join(dir, "known_hosts"), "--identity", id)
}
