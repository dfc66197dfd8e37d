package testenv

import (
	"fmt"
	"unicode/utf8"
)

// RawTerminalControl returns, described, the first thing in s that a
// terminal would act on or that could hide or reorder text, or "" when
// there is none: invalid UTF-8 (a lone byte 0x9B is a CSI to many
// terminals), C0 controls other than newline, DEL, C1 controls
// (U+0080-U+009F) and bidirectional controls. Tests of anything that
// prints text sfkvm did not write call it on the output.
func RawTerminalControl(s string) string {
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				return fmt.Sprintf("invalid UTF-8 byte %#x at %d", s[i], i)
			}
		case r < 0x20 && r != '\n', r == 0x7f, r >= 0x80 && r <= 0x9f:
			return fmt.Sprintf("control %U at byte %d", r, i)
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
			return fmt.Sprintf("bidi control %U at byte %d", r, i)
		}
	}
	return ""
}

// HostileText holds, by name, one text of each kind that must never reach
// a terminal raw; tests put them where remote or configured text goes.
var HostileText = map[string]string{
	"ESC (CSI)":          "guest\x1b[2J\x1b[31mred",
	"raw byte 0x9B":      "guest\x9b2Jx",
	"U+009B (C1 CSI)":    "guest\u009b2Jx",
	"U+0085 (C1 NEL)":    "a\u0085b",
	"DEL":                "a\x7fb",
	"BEL and BS":         "a\x07\x08b",
	"CR":                 "ok\rFAIL",
	"RLO bidi override":  "guest\u202eFAIL",
	"LRI bidi isolate":   "guest\u2066x",
	"invalid UTF-8":      "a\xff\xfeb",
	"OSC 8 hyperlink":    "\x1b]8;;http://x\x07link\x1b]8;;\x07",
	"truncated sequence": "a\xe2\x80",
}
