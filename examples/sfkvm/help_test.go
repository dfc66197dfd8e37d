package main

import (
	"strings"
	"testing"
)

// "sfkvm help check" used to print the top-level usage.
func TestHelpForOneCommand(t *testing.T) {
	for name := range commands {
		r := runCLI(t, "", "help", name)
		if r.code != exitOK || !strings.HasPrefix(r.stdout, "usage: sfkvm "+name+" ") || r.stderr != "" {
			t.Errorf("help %s: %+v", name, r)
		}
	}
	if r := runCLI(t, "", "help", "nosuch"); r.code != exitUsage || !strings.Contains(r.stdout, `unknown command "nosuch"`) {
		t.Errorf("help nosuch: %+v", r)
	}
}

// The flag lists spell long flags as the usage lines do: --format, not
// -format; the vendor's one-letter flags keep one dash.
func TestFlagListsSpellLongFlagsWithTwoDashes(t *testing.T) {
	r := runCLI(t, "", "help", "check")
	for _, want := range []string{"\n  --format format\n", "\n  --no-perm\n", "\n  -f string\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help check lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "\n  -format") {
		t.Errorf("help check spells -format:\n%s", r.stdout)
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"--version", "version"} {
		r := runCLI(t, "", arg)
		if r.code != exitOK || !strings.HasPrefix(r.stdout, "sfkvm ") || !strings.Contains(r.stdout, "go1.") {
			t.Errorf("%s: %+v", arg, r)
		}
	}
}
