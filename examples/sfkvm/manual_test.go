package main

import (
	"io/fs"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Every command has a page in manual/, and every page is a command's: a
// command added without its documentation, or a page left behind by a
// command removed, fails here.
func TestEveryCommandHasAManual(t *testing.T) {
	entries, err := fs.ReadDir(manualFiles, "manual")
	if err != nil {
		t.Fatal(err)
	}
	var pages []string
	for _, e := range entries {
		pages = append(pages, strings.TrimSuffix(e.Name(), ".md"))
	}
	if diff := cmp.Diff(slices.Sorted(maps.Keys(commands)), pages); diff != "" {
		t.Errorf("manual pages against commands (-commands +pages):\n%s", diff)
	}
}

// The page is part of the help: "help NAME" and "NAME -h" end with it,
// and a wrong flag does not print it (only the usage).
func TestHelpEndsWithTheManual(t *testing.T) {
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		text := manualText(name)
		if len(text) < 200 {
			t.Errorf("%s: a page of %d bytes", name, len(text))
			continue
		}
		if help := runCLI(t, "", "help", name).stdout; !strings.HasSuffix(help, "\n"+text) {
			t.Errorf("sfkvm help %s does not end with manual/%s.md", name, name)
		}
		if r := runCLI(t, "", name, "--no-such-flag"); strings.Contains(r.stdout+r.stderr, text) {
			t.Errorf("sfkvm %s --no-such-flag printed the whole page", name)
		}
	}
}

// Every long flag a page mentions is a flag of some command: a flag
// renamed or removed in the code cannot live on in the documentation.
func TestManualFlagsExist(t *testing.T) {
	known := map[string]bool{"help": true, "version": true}
	flagLine := regexp.MustCompile(`(?m)^  --([a-z0-9-]+)`)
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		for _, m := range flagLine.FindAllStringSubmatch(runCLI(t, "", "help", name).stdout, -1) {
			known[m[1]] = true
		}
	}
	mention := regexp.MustCompile(`(?:^|[\s(\x60\[])--([a-z][a-z0-9-]*[a-z0-9])`)
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		b, err := manualFiles.ReadFile("manual/" + name + ".md")
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			for _, m := range mention.FindAllStringSubmatch(line, -1) {
				if !known[m[1]] && !otherProgramsFlag(line, m[1]) {
					t.Errorf("manual/%s.md:%d: --%s is no flag of any command", name, i+1, m[1])
				}
			}
		}
	}
}

// otherProgramsFlag reports whether a flag on a page belongs to another
// program named on the same line (virsh, systemctl, go test, ...).
func otherProgramsFlag(line, flag string) bool {
	for _, p := range []string{"virsh", "systemctl", "go test", "dpkg", "rpm ", "ssh-keygen", "useradd"} {
		if strings.Contains(line, p) {
			return true
		}
	}
	return false
}

// The README's table of commands names every command with its summary
// and page, so that the front door lists what the program has.
func TestReadmeListsEveryCommand(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `sfkvm ([a-z]+)` \\| (.*) \\| \\[([a-z]+)\\.md\\]\\(examples/sfkvm/manual/([a-z]+)\\.md\\) \\|$")
	var got, want []string
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		got = append(got, m[1]+": "+strings.ReplaceAll(m[2], `\|`, "|")+" "+m[3]+" "+m[4])
	}
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		want = append(want, name+": "+commands[name].summary+" "+name+" "+name)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("README's table of commands (-want +got):\n%s", diff)
	}
}

func TestRenderManual(t *testing.T) {
	md := "Intro with `code` and **bold** and a [link](docs/x.md).\nSecond line of it.\n\n" +
		"## A heading\n\n" +
		"```sh\nsfkvm check -f FILE   # keep  spacing\n```\n\n" +
		"- an item\n  that goes on\n- another\n\n" +
		"1. first\n2. second\n   goes on\n\n" +
		"| name | step | what |\n|---|---|---|\n| `conf.mode` | 1.4 | a \\| b |\n| c | | d |\n\n" +
		strings.Repeat("word ", 40) + "\n\n" +
		"    indented  as is\n\n    after a blank\ntext\n"
	want := "Intro with code and bold and a link (docs/x.md). Second line of it.\n" +
		"\nA HEADING\n" +
		"\n    sfkvm check -f FILE   # keep  spacing\n" +
		"\n  - an item that goes on\n" +
		"\n  - another\n" +
		"\n  1. first\n" +
		"\n  2. second goes on\n" +
		"\n  conf.mode\n      step: 1.4\n      what: a | b\n" +
		"\n  name c\n      what: d\n" +
		"\n" + strings.TrimSpace(strings.Repeat("word ", 15)) + "\n" + strings.TrimSpace(strings.Repeat("word ", 15)) + "\n" + strings.TrimSpace(strings.Repeat("word ", 10)) + "\n" +
		"\n    indented  as is\n\n    after a blank\n" +
		"\ntext\n"
	if diff := cmp.Diff(want, renderManual(md)); diff != "" {
		t.Errorf("renderManual (-want +got):\n%s", diff)
	}
}

// No line of a rendered page is wider than manualWidth but for one word
// that is longer alone (an address, a long flag): the pages read on an
// 80-column terminal and in man.
func TestManualWidth(t *testing.T) {
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		for i, l := range strings.Split(manualText(name), "\n") {
			if len(l) > manualWidth && strings.Contains(strings.TrimSpace(l), " ") && !strings.HasPrefix(l, "    ") {
				t.Errorf("manual/%s.md, rendered line %d: %d columns: %q", name, i+1, len(l), l)
			}
		}
	}
}
