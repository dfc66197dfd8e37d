package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/internal/testenv"
)

// manPages writes the pages with "sfkvm help --man DIR" and returns DIR.
func manPages(t *testing.T) string {
	t.Helper()
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	dir := t.TempDir()
	if r := runCLI(t, "", "help", "--man", dir); r.code != exitOK || r.stdout != "" || r.stderr != "" {
		t.Fatalf("help --man: %+v", r)
	}
	return dir
}

// The pages are the help, rendered: sfkvm.8 names every command with its
// summary and every exit code; each command's page holds every line of
// its help (the usage lines, the flags with their defaults).
func TestManPagesAreTheHelp(t *testing.T) {
	dir := manPages(t)
	unroff := strings.NewReplacer(`\-`, "-", `\e`, `\`, `\&`, "")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return unroff.Replace(string(b))
	}
	main := read("sfkvm.8")
	if !strings.HasPrefix(main, ".TH SFKVM 8 2023-11-14 ") {
		t.Errorf("sfkvm.8 does not start with its title and SOURCE_DATE_EPOCH's date:\n%s", main)
	}
	for _, l := range strings.Split(strings.TrimSpace(exitCodeHelp), "\n")[1:] {
		if !strings.Contains(main, "\n"+l+"\n") {
			t.Errorf("sfkvm.8 lacks the exit code line %q", l)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != len(commands)+1 {
		t.Errorf("%d pages for %d commands: %q", len(files), len(commands), files)
	}
	for name, c := range commands {
		if !strings.Contains(main, ".BR sfkvm-"+name+" (8)\n") {
			t.Errorf("sfkvm.8 does not name sfkvm-%s(8)", name)
		}
		if !strings.Contains(strings.Join(strings.Fields(main), " "), strings.Join(strings.Fields(c.summary), " ")) {
			t.Errorf("sfkvm.8 lacks the summary of %s: %q", name, c.summary)
		}
		page := read("sfkvm-" + name + ".8")
		for _, l := range strings.Split(runCLI(t, "", "help", name).stdout, "\n") {
			l = strings.TrimSpace(strings.TrimPrefix(expandTabs(l), "usage: "))
			if l != "" && !strings.Contains(page, l) {
				t.Errorf("sfkvm-%s.8 lacks the help line %q", name, l)
			}
		}
	}
}

// mandoc's strictest check, style messages included, has nothing to say.
func TestManPagesLint(t *testing.T) {
	mandoc := testenv.LookPath(t, "mandoc", "mandoc")
	dir := manPages(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.8"))
	out, err := exec.Command(mandoc, append([]string{"-T", "lint", "-W", "style"}, files...)...).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("mandoc -T lint: %v\n%s", err, out)
	}
}

func TestManPagesFolderMissing(t *testing.T) {
	r := runCLI(t, "", "help", "--man", filepath.Join(t.TempDir(), "nosuch"))
	if r.code != exitNoInput || !strings.HasPrefix(r.stderr, "sfkvm help: ") {
		t.Errorf("%+v", r)
	}
}

func TestVersionStamped(t *testing.T) {
	defer func(v, c string) { stampedVersion, stampedCommit = v, c }(stampedVersion, stampedCommit)
	stampedVersion, stampedCommit = "1.2.0", "0123456789ab"
	r := runCLI(t, "", "--version")
	if !strings.HasPrefix(r.stdout, "sfkvm 1.2.0 0123456789ab go1.") {
		t.Errorf("%+v", r)
	}
}
