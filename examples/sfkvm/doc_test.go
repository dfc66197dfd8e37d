package main

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// doc.go, the command's documentation (go doc), repeats what help prints:
// the commands with their summaries, each command's usage lines, the exit
// codes. This keeps the copy from going stale when a command or a flag is
// added, renamed or removed.
func TestDocListsEveryUsageLine(t *testing.T) {
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := map[string]bool{} // the doc's code-block lines, without "//\t"
	for _, l := range strings.Split(string(b), "\n") {
		if s, ok := strings.CutPrefix(l, "//\t"); ok {
			doc[s] = true
		}
	}
	var want []string
	top := runCLI(t, "", "help").stdout
	commandsAndCodes := strings.SplitN(top, "\ncommands:\n", 2)
	if len(commandsAndCodes) != 2 {
		t.Fatalf("help has no commands section:\n%s", top)
	}
	for _, l := range strings.Split(commandsAndCodes[1], "\n") {
		if l = strings.TrimSpace(l); l != "" && l != "exit codes:" {
			want = append(want, l)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		for _, l := range strings.Split(runCLI(t, "", "help", name).stdout, "\n") {
			if s, ok := strings.CutPrefix(l, "usage: "); ok {
				want = append(want, s)
			} else if s := strings.TrimSpace(l); strings.HasPrefix(l, " ") && strings.HasPrefix(s, "sfkvm ") {
				want = append(want, s)
			} else {
				break
			}
		}
	}
	for _, w := range want {
		if !doc[w] {
			t.Errorf("doc.go lacks the line %q (as help prints it)", w)
		}
	}
	for l := range doc {
		if rest, ok := strings.CutPrefix(l, "sfkvm "); ok {
			name, _, _ := strings.Cut(rest, " ")
			if _, known := commands[name]; !known && name != "COMMAND" && name != "help" && name != "--version" {
				t.Errorf("doc.go names a command that is gone: %q", l)
			}
		}
	}
	if len(want) < 2*len(commands) {
		t.Fatalf("only %d lines found in help for %d commands", len(want), len(commands))
	}
}
