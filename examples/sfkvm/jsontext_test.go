package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckJSONShowsInvalidBytes: a byte that is not UTF-8 (0xFF in a
// guest-name) reaches the JSON report as \xff, in the guest and in the
// message, never as U+FFFD; the same in compare's diff.
func TestCheckJSONShowsInvalidBytes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kvmguests.conf")
	if err := os.WriteFile(path, []byte("gue\xffst11 cfhost1 cluster1 cfguest11 10.20.30.50 root D0860AB04E1B8FA3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", "check", "--no-perm", "--format=json", "-f", path)
	var rep struct {
		Guests []struct {
			Name string `json:"guest_name"`
		}
		Diagnostics []struct{ Message string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != exitOK {
		t.Fatalf("exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "\ufffd") || strings.Contains(r.stdout, `\ufffd`) {
		t.Errorf("U+FFFD in the report:\n%s", r.stdout)
	}
	if len(rep.Guests) != 1 || rep.Guests[0].Name != `gue\xffst11` {
		t.Errorf("guests %+v, want the name gue\\xffst11", rep.Guests)
	}
	if len(rep.Diagnostics) != 1 || !strings.Contains(rep.Diagnostics[0].Message, `gue\xffst11`) {
		t.Errorf("diagnostics %+v", rep.Diagnostics)
	}

	r = runCLI(t, "", "compare", "--format=json", "testdata/ok.conf", path)
	var rep2 struct{ Comparisons []struct{ Diff string } }
	err := json.Unmarshal([]byte(r.stdout), &rep2)
	cmp := rep2.Comparisons
	if err != nil || r.code != exitFailed || len(cmp) != 1 {
		t.Fatalf("compare: exit %d, %v\n%s", r.code, err, r.stdout)
	}
	if !strings.Contains(cmp[0].Diff, `+gue\xffst11 `) || strings.Contains(r.stdout, "\ufffd") {
		t.Errorf("compare's diff:\n%s", cmp[0].Diff)
	}
}
