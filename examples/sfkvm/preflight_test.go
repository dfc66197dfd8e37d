package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/preflight"
)

// TestPreflightCommand runs the command itself where nothing is installed:
// every check that needs what is missing says SKIP (or FAIL for a missing
// file), never a silent pass.
func TestPreflightCommand(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(t, "", "preflight", "--format=json", "-f", dir+"/none.conf", "--hostinfo", dir+"/hostinfo",
		"--sdtool", dir+"/sdtool", "--cftool", dir+"/cftool", "--connect", "test://"+dir+"/missing.xml", "--known-hosts", dir+"/known_hosts")
	if r.code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	var rep preflight.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	byCheck := map[preflight.ID]preflight.Status{}
	for _, row := range rep.Results {
		byCheck[row.Check] = row.Status
		if row.Reason == "" {
			t.Errorf("row %s %s has no reason", row.Check, row.Target)
		}
	}
	for check, want := range map[preflight.ID]preflight.Status{
		"conf.syntax": preflight.Fail, "conf.vendor": preflight.Skip, "conf.copies": preflight.Skip,
		"facility.ready": preflight.Skip, "host.registered": preflight.Fail, "host.weightlink": preflight.Skip,
	} {
		if byCheck[check] != want {
			t.Errorf("%s: %s, want %s", check, byCheck[check], want)
		}
	}
	if rep.Schema != preflight.Schema || rep.Counts.Fail == 0 || rep.Counts.OK != 0 {
		t.Errorf("schema %q, counts %+v", rep.Schema, rep.Counts)
	}
	// The same as its own process, once with libvirt reachable: its real
	// stderr (libvirt and libxml2 write to file descriptor 2 directly,
	// past the writer runCLI captures) carries no noise of theirs.
	for _, uri := range []string{"test://" + dir + "/missing.xml", "test:///default"} {
		x := execCLI(t, nil, "preflight", "-f", dir+"/none.conf", "--hostinfo", dir+"/hostinfo",
			"--sdtool", dir+"/sdtool", "--cftool", dir+"/cftool", "--connect", uri, "--known-hosts", dir+"/known_hosts")
		if x.code != exitFailed {
			t.Errorf("%s: exit %d, want 1\n%s", uri, x.code, x.stderr)
		}
		noLibNoise(t, "preflight --connect "+uri, x.stderr)
	}
	if r := runCLI(t, "", "preflight", "--key", "k", "--password-stdin"); r.code != exitUsage {
		t.Errorf("--key with --password-stdin: exit %d, want 2", r.code)
	}
	if r := runCLI(t, "", "preflight", "--password-warn-days", "0"); r.code != exitUsage || !strings.Contains(r.stderr, "--password-warn-days") {
		t.Errorf("--password-warn-days 0: exit %d, want 2 (%s)", r.code, r.stderr)
	}
	if r := runCLI(t, "", "preflight", "--key", dir+"/none.key"); r.code != exitNoInput {
		t.Errorf("missing --key file: exit %d, want 66 (%s)", r.code, r.stderr)
	}
	pw := dir + "/pw"
	os.WriteFile(pw, []byte("secret\n"), 0o644)
	os.Chmod(pw, 0o644)
	if r := runCLI(t, "", "preflight", "--hosts", "192.0.2.2", "--host-password-file", pw); r.code != exitNoPerm || strings.Contains(r.stderr, "secret") {
		t.Errorf("world-readable --host-password-file: exit %d, want 77 (%s)", r.code, r.stderr)
	}
	if r := runCLI(t, "", "preflight", "--hosts", "192.0.2.2", "--host-password-file", dir+"/none"); r.code != exitNoInput {
		t.Errorf("missing --host-password-file: exit %d, want 66", r.code)
	}
}
