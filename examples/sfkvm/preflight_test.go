package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
)

// labRows builds a lab with faults f, walks the procedure and returns the
// preflight rows.
func labRows(t *testing.T, f labFaults) []row {
	t.Helper()
	l, err := newLab(t.TempDir(), f)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rows, err := l.walk(context.Background(), io.Discard, f)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func failRows(rows []row) []row {
	var fails []row
	for _, r := range rows {
		if r.Verdict == verdictFail {
			fails = append(fails, r)
		}
	}
	return fails
}

// TestPreflightClean: a lab without faults has no FAIL, and every row is OK
// but the ones that cannot be (no vendor checker; sealed tokens warn).
func TestPreflightClean(t *testing.T) {
	rows := labRows(t, labFaults{})
	for _, r := range rows {
		switch {
		case r.sec == secVendorCheck && r.Verdict == verdictSkip:
		case r.sec == secConfig && r.Verdict == verdictWarn:
		case r.sec == secFileMode && r.Verdict == verdictSkip && !runningAsRoot():
		case r.Verdict != verdictOK:
			t.Errorf("%s %s %s: %s (%s)", r.Step, r.Check, r.Target, r.Verdict, r.Reason)
		}
	}
	if len(rows) < 30 {
		t.Errorf("only %d rows", len(rows))
	}
}

// TestPreflightFaults injects one fault at a time; each yields exactly the
// expected FAIL row.
func TestPreflightFaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		f      labFaults
		sec    section
		target string // prefix of the FAIL row's target
		reason string // in its reason
		fix    string // in its fix
	}{
		{"copy differs on one host", labFaults{copyDiffers: true}, secCopies, "192.0.2.2", "differs", "scp -p"},
		{"changed host key", labFaults{changedKey: "guest12"}, secHostKey, "guest12 ", "host key changed", "ssh-keygen -R"},
		{"cftool disagrees", labFaults{cftoolDisagree: "guest21"}, secGuestNames, "guest21 ", "the guest says cluster9/cfguest21", "guest-clustername cluster9"},
		{"agent TestFailed", labFaults{testFailed: true}, secFacility, "this host", "TestFailed", "SA_ipmi"},
		{"running guest not set up", labFaults{notSetUp: "guest21"}, secGuestSetup, "guest21", "no host information disk", "sfkvm migratesetup -s guest21 --restart"},
		{"sudo without NOPASSWD", labFaults{sudoPassword: "guest12"}, secSudo, "guest12 ", "sudo needs a password", "NOPASSWD"},
		{"guest down", labFaults{down: "guest22"}, secHostKey, "guest22 ", "cannot reach the guest", "sshd listens at 192.0.2.22 port 22"},
		{"vendor token with --key", labFaults{vendorToken: "guest12"}, secLogin, "guest12 ", "the password cannot be read", "--password-stdin"},
		{"sealed token moved from another guest", labFaults{movedToken: "guest12"}, secLogin, "guest12 ", "does not authenticate", "--guest-name guest12 --guest-ip 192.0.2.12 --guest-user user2"},
		{"login times out", labFaults{slowAuth: "guest21"}, secLogin, "guest21 ", "timed out", ""},
		{"other host floods cat", labFaults{hostFloods: true}, secCopies, "192.0.2.2", "stdout went over 67108864 bytes", ""},
		{"other host floods cat of its host information", labFaults{hostinfoFloods: true}, secWeightLink, "(every host)", "stdout went over 65536 bytes", ""},
		{"other host's cat fails with escapes", labFaults{hostCatFails: true}, secCopies, "192.0.2.2", `exited 1: "cat: \x1b]0;owned\a\x1b[31mInput/output error"`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fails := failRows(labRows(t, tc.f))
			if len(fails) != 1 {
				t.Fatalf("%d FAIL rows, want 1: %+v", len(fails), fails)
			}
			r := fails[0]
			if tc.f.vendorToken != "" || tc.f.movedToken != "" {
				// No connection was made: the host key must not read OK.
				for _, row := range labRows(t, tc.f) {
					if row.sec == secHostKey && strings.HasPrefix(row.Target, tc.target) && row.Verdict != verdictSkip {
						t.Errorf("host key row %s: %s, want SKIP", row.Target, row.Verdict)
					}
				}
			}
			if strings.ContainsAny(r.Reason+r.Detail+r.Fix, "\x1b\a\r") {
				t.Errorf("FAIL row carries raw control characters: %q", r.Reason+" | "+r.Detail+" | "+r.Fix)
			}
			if r.sec != tc.sec || !strings.HasPrefix(r.Target, tc.target) || !strings.Contains(r.Reason, tc.reason) || !strings.Contains(r.Fix, tc.fix) {
				t.Errorf("FAIL row = %s %s %q: reason %q, fix %q; want section %d, target %q, reason ~%q, fix ~%q",
					r.Step, r.Check, r.Target, r.Reason, r.Fix, tc.sec, tc.target, tc.reason, tc.fix)
			}
		})
	}
}

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
	var rep preflightReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	byCheck := map[string]verdict{}
	for _, row := range rep.Rows {
		byCheck[row.Check] = row.Verdict
		if row.Reason == "" {
			t.Errorf("row %s %s has no reason", row.Check, row.Target)
		}
	}
	for check, want := range map[string]verdict{
		"kvmguests.conf": verdictFail, "sfkvmtool -c": verdictSkip, "same on every host": verdictSkip,
		"shutdown facility": verdictSkip, "host registered": verdictFail, "weight link": verdictSkip,
	} {
		if byCheck[check] != want {
			t.Errorf("%s: %s, want %s", check, byCheck[check], want)
		}
	}
	if rep.Summary.Fail == 0 || rep.Summary.OK != 0 {
		t.Errorf("summary %+v", rep.Summary)
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

// TestVendorCheckerOnlyForItsFile: sfkvmtool -c takes no file name, so
// beside -f FILE its verdict would be about another file.
func TestVendorCheckerOnlyForItsFile(t *testing.T) {
	pe := &preflightEnv{conf: "testdata/ok.conf", sfkvmtool: "/bin/true"}
	rows := checkVendorTool(context.Background(), pe)
	if len(rows) != 1 || rows[0].Verdict != verdictSkip || !strings.Contains(rows[0].Reason, "checks only") {
		t.Errorf("rows = %+v", rows)
	}
}
