// Package termtext makes text that sfkvm did not write itself (a remote
// host's stderr, a guest name from kvmguests.conf, a host's CF node name)
// safe to print on a terminal: control characters (C0, DEL, C1 including
// the one-byte CSI 0x9B), bidirectional overrides and other invisible
// format characters, and invalid UTF-8 are shown escaped as in Go strings
// (\x1b, \u009b, \u202e, \xff) and never reach the terminal raw, so such a
// text cannot move the cursor, recolour or rewrite what the reader sees.
//
// Escape keeps everything printable as it is (quotes, backslashes, letters
// of any script), so text that was escaped or quoted already passes
// unchanged; Quote puts the text in Go's double-quoted form, which marks
// where remote text starts and ends. Both cut a long text at a character
// boundary and say " (cut)".
//
//	fmt.Println(termtext.Escape(name, termtext.NoLimit))
//
// The package does not decide what is remote: its callers do (sshcheck's
// QuoteRemote, internal/table for every cell of a report).
package termtext
