package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/kvmguests"
)

func TestCheckGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"check-ok", []string{"check", "--no-perm", "-f", "testdata/ok.conf"}, exitOK},
		{"check-ok-json", []string{"check", "--no-perm", "--format=json", "-f", "testdata/ok.conf"}, exitOK},
		{"check-manual-example", []string{"check", "--no-perm", "-f", "testdata/manual.conf"}, exitConfig},
		{"check-manual-example-json", []string{"check", "--no-perm", "--format=json", "-f", "testdata/manual.conf"}, exitConfig},
		{"check-warnings", []string{"check", "--no-perm", "-f", "testdata/warnings.conf"}, exitOK},
		{"check-errors", []string{"check", "--no-perm", "-f", "testdata/errors.conf"}, exitConfig},
		// A file saved with a byte-order mark: named as a BOM, with the fix.
		{"check-bom", []string{"check", "--no-perm", "-f", "testdata/bom.conf"}, exitConfig},
		{"check-missing", []string{"check", "-f", "testdata/none.conf"}, exitNoInput},
		// No PRIMECLUSTER here: the default path is missing, and the
		// message names it and -f.
		{"check-default-missing", []string{"check"}, exitNoInput},
		{"check-empty-file-flag", []string{"check", "-f", ""}, exitUsage},
		{"check-bad-flag", []string{"check", "--bogus"}, exitUsage},
		{"check-bad-format", []string{"check", "--format=xml"}, exitUsage},
		{"compare-identical", []string{"compare", "testdata/ok.conf", "testdata/ok.conf"}, exitOK},
		{"compare-differ", []string{"compare", "testdata/ok.conf", "testdata/ok.conf", "testdata/host2.conf"}, exitFailed},
		// The copies that differ come first, then the identical ones, then
		// a summary; a copy saved with CRLF is named as such.
		{"compare-many", []string{"compare", "testdata/ok.conf", "testdata/ok.conf", "testdata/crlf.conf", "testdata/host2.conf"}, exitFailed},
		{"compare-missing", []string{"compare", "testdata/ok.conf", "testdata/none.conf"}, exitNoInput},
		{"compare-one-file", []string{"compare", "testdata/ok.conf"}, exitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, "", tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\nstderr: %s", r.code, tc.code, r.stderr)
			}
			golden(t, tc.name, r, numberFingerprints(r.stdout)...)
		})
	}
}

// numberFingerprints returns the replacements that write the token
// fingerprints of out, which change from run to run, as <token hmac:#1>,
// #2, ... in order of first appearance: equal fingerprints stay equal.
func numberFingerprints(out string) []string {
	var replace []string
	seen := map[string]bool{}
	for _, fp := range fingerprintRE.FindAllString(out, -1) {
		if !seen[fp] {
			seen[fp] = true
			replace = append(replace, fp, "<token hmac:#"+strconv.Itoa(len(seen))+">")
		}
	}
	return replace
}

var fingerprintRE = regexp.MustCompile(`<token hmac:[0-9a-f]{8}>`)

// TestCheckSuccessLine: on success the last stdout line is exactly the
// vendor's notice, warnings or not.
func TestCheckSuccessLine(t *testing.T) {
	for _, f := range []string{"testdata/ok.conf", "testdata/warnings.conf"} {
		r := runCLI(t, "", "check", "--no-perm", "-f", f)
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		if r.code != 0 || lines[len(lines)-1] != "NOTICE: The check of configuration file succeeded." {
			t.Errorf("%s: exit %d, stdout %q", f, r.code, r.stdout)
		}
	}
	r := runCLI(t, "", "check", "--no-perm", "-f", "testdata/errors.conf")
	if strings.Contains(r.stdout, "NOTICE") {
		t.Errorf("notice printed for a file with errors: %q", r.stdout)
	}
	if strings.Contains(r.stderr+r.stdout, "MyPassw0rd") {
		t.Errorf("output shows the plain-text password")
	}
}

// TestCheckFileModes uses real files with real owners and modes: the file
// problems alone exit 77, together with content errors 65.
func TestCheckFileModes(t *testing.T) {
	testenv.Root(t, "files owned by root and by another uid")
	dir := t.TempDir()
	ok, _ := os.ReadFile("testdata/ok.conf")
	bad, _ := os.ReadFile("testdata/manual.conf")
	for _, tc := range []struct {
		name string
		data []byte
		mode os.FileMode
		uid  int
		code int
	}{
		{"in-place", ok, 0o600, 0, exitOK},
		{"world-readable", ok, 0o644, 0, exitNoPerm},
		{"setuid", ok, 0o600 | os.ModeSetuid, 0, exitNoPerm},
		{"sticky", ok, 0o600 | os.ModeSticky, 0, exitNoPerm},
		{"other-owner", ok, 0o600, 1000, exitNoPerm},
		{"world-readable-and-errors", bad, 0o644, 0, exitConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".conf")
			if err := os.WriteFile(path, tc.data, tc.mode); err != nil {
				t.Fatal(err)
			}
			// chown clears the set-user-id bit: the mode comes after it.
			if err := os.Chown(path, tc.uid, 0); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			if fi, err := os.Stat(path); err != nil || fi.Mode() != tc.mode {
				t.Fatalf("the test could not make mode %v: %v", tc.mode, fi.Mode())
			}
			r := runCLI(t, "", "check", "-f", path)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, tc.code, r.stderr)
			}
			golden(t, "check-file-"+tc.name, r, dir, "TMP")
			if r := runCLI(t, "", "check", "--no-perm", "-f", path); tc.code == exitNoPerm && r.code != exitOK {
				t.Errorf("--no-perm: exit %d, want 0", r.code)
			}
		})
	}
}

func TestCheckJSONIsValid(t *testing.T) {
	r := runCLI(t, "", "check", "--no-perm", "--format=json", "-f", "testdata/errors.conf")
	var rep kvmguests.CheckReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	if rep.OK || rep.Errors == 0 || len(rep.Diagnostics) != rep.Errors+rep.Warnings {
		t.Errorf("report = %+v", rep)
	}
	if strings.Contains(r.stdout, "D0860AB04E1B8FA3") {
		t.Error("JSON shows a token")
	}
}
