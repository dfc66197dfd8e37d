package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemo runs the README's first command in-process and checks its
// output: every step reached, the broken guest FAILs for the right reason,
// everything else as the lab expects, and nothing left behind.
func TestDemo(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the demo's lab goes here, so we can see it is gone
	r := runCLI(t, "", "demo")
	if r.code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"== step 1.3, 1.4:", "== step 1.6:", "== step 1.5:", "== step 1.7:", "== step 2:", "== step 3:", "== step all:",
		"NOTICE: The check of configuration file succeeded.",
		"every agent is ready",
		"guest11  set up (disk vdb)",
		"demo: every step behaved as the lab expects",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	var sudoRow string
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.Contains(l, "sudo NOPASSWD") && strings.Contains(l, "guest22") {
			sudoRow = l
		}
	}
	if !strings.Contains(sudoRow, "FAIL") || !strings.Contains(sudoRow, "sudo needs a password") {
		t.Errorf("guest22's sudo row = %q, want a FAIL for a sudo password", sudoRow)
	}
	if !strings.Contains(r.stdout, "fix: on guest22, with visudo: user4 ALL=(root) NOPASSWD: ALL") {
		t.Error("the fix for guest22 is not printed")
	}
	if n := strings.Count(r.stdout, " FAIL "); n != 1 {
		t.Errorf("%d FAIL rows, want only guest22's", n)
	}
	for _, secret := range []string{"demo-1-", "demo-4-", "host2-root-", "vnc-secret"} {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("output shows a password (%s...)", secret)
		}
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "*"))
	if len(left) != 0 {
		t.Errorf("the demo left %v behind", left)
	}
	if _, err := os.Stat(filepath.Join(tmp, "sfkvm-demo")); err == nil {
		t.Error("lab folder left behind")
	}
}
