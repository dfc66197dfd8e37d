package termtext_test

import (
	"testing"

	"github.com/sfkvm/sfkvm/internal/termtext"
	"github.com/sfkvm/sfkvm/internal/testenv"
)

func TestEscapeLeavesNoRawControl(t *testing.T) {
	for name, s := range testenv.HostileText {
		for _, max := range []int{termtext.NoLimit, 5, 300} {
			if got := termtext.Escape(s, max); testenv.RawTerminalControl(got) != "" {
				t.Errorf("%s: Escape(%q, %d) = %q: %s", name, s, max, got, testenv.RawTerminalControl(got))
			}
		}
		if got := termtext.Quote(s, 300); testenv.RawTerminalControl(got) != "" {
			t.Errorf("%s: Quote(%q) = %q: %s", name, s, got, testenv.RawTerminalControl(got))
		}
	}
}

func TestEscapeKeepsPrintableText(t *testing.T) {
	for _, s := range []string{"", "OK", `"already \x1b quoted"`, "Grüße, 東京", `C:\path`, "a b"} {
		if got := termtext.Escape(s, termtext.NoLimit); got != s {
			t.Errorf("Escape(%q) = %q, want it unchanged", s, got)
		}
	}
}

func TestEscapeShowsWhatItEscaped(t *testing.T) {
	for s, want := range map[string]string{
		"a\x1b[31mb": `a\x1b[31mb`,
		"a\x9bb":     `a\x9bb`,
		"a\u009bb":   `a\u009bb`,
		"a\u202eb":   `a\u202eb`,
		"a\x7fb":     `a\x7fb`,
		"a\tb":       `a\tb`,
	} {
		if got := termtext.Escape(s, termtext.NoLimit); got != want {
			t.Errorf("Escape(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestCutAtCharacterBoundary(t *testing.T) {
	if got, want := termtext.Escape("aéé", 2), "a (cut)"; got != want {
		t.Errorf("Escape cut: %q, want %q", got, want)
	}
	if got, want := termtext.Quote("  aéé  ", 2), `"a" (cut)`; got != want {
		t.Errorf("Quote cut: %q, want %q", got, want)
	}
	if got := termtext.Quote(" \n ", 10); got != "" {
		t.Errorf("Quote of white space = %q, want empty", got)
	}
}

func FuzzEscape(f *testing.F) {
	for _, s := range testenv.HostileText {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got := termtext.Escape(s, termtext.NoLimit); testenv.RawTerminalControl(got) != "" {
			t.Errorf("Escape(%q) = %q: %s", s, got, testenv.RawTerminalControl(got))
		}
		if got := termtext.Quote(s, 40); testenv.RawTerminalControl(got) != "" {
			t.Errorf("Quote(%q) = %q: %s", s, got, testenv.RawTerminalControl(got))
		}
	})
}
