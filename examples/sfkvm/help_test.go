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
}

// -h and help CMD print the same text on stdout, wherever -h stands.
func TestDashHIsHelpCMD(t *testing.T) {
	for name := range commands {
		want := runCLI(t, "", "help", name)
		if want.code != exitOK || !strings.HasPrefix(want.stdout, "usage: sfkvm "+name+" ") || want.stderr != "" {
			t.Errorf("help %s: %+v", name, want)
		}
		for _, h := range [][]string{{name, "-h"}, {name, "--help"}, {name, "x", "-help"}} {
			r := runCLI(t, "", h...)
			if r != want {
				t.Errorf("%q: %+v\nhelp %s: %+v", h, r, name, want)
			}
		}
	}
}

// An unknown command is one line on stderr with where the list is, not
// the whole usage.
func TestUnknownCommandIsOneLine(t *testing.T) {
	for _, args := range [][]string{{"nosuch"}, {"help", "nosuch"}} {
		r := runCLI(t, "", args...)
		if r.code != exitUsage || r.stdout != "" || r.stderr != "sfkvm: unknown command \"nosuch\" (sfkvm help: the commands)\n" {
			t.Errorf("%q: %+v", args, r)
		}
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
