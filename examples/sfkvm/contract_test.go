package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Flags may follow positional arguments in every command that takes some
// (compare's files, sd's action, migratesetup's domains), and "--" ends
// the flags: `compare a b --format=json` used to read a file named
// "--format=json".
func TestFlagsAfterPositionals(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, []byte("x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"compare", a, b, "--format=json"},
		{"compare", a, "--format", "json", b},
		{"compare", "--format=json", "--", a, b},
	} {
		r := runCLI(t, "", args...)
		var v any
		if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &v) != nil {
			t.Errorf("%q: %+v", args, r)
		}
	}
	// After "--", a dash is a file name.
	r := runCLI(t, "", "compare", a, "--", "--format=json")
	if r.code != exitNoInput || !strings.Contains(r.stderr, "--format=json") {
		t.Errorf("compare a -- --format=json: %+v", r)
	}
	// sd: the action before or after its flags.
	missing := filepath.Join(dir, "no-sdtool")
	for _, args := range [][]string{
		{"sd", "status", "--sdtool", missing},
		{"sd", "--sdtool", missing, "status"},
	} {
		if r := runCLI(t, "", args...); r.code != exitUnavailable {
			t.Errorf("%q: %+v", args, r)
		}
	}
	if r := runCLI(t, "", "sd", "status", "extra", "--sdtool", missing); r.code != exitUsage || !strings.Contains(r.stderr, `"extra"`) {
		t.Errorf("sd status extra: %+v", r)
	}
	// migratesetup: a flag after the domain names is read as a flag.
	r = runCLI(t, "", "migratesetup", "-s", "guest1", "--hostinfo", "relative")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--hostinfo") {
		t.Errorf("migratesetup -s guest1 --hostinfo relative: %+v", r)
	}
}
