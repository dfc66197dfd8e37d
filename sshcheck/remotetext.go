package sshcheck

import "github.com/sfkvm/sfkvm/internal/termtext"

// MaxQuotedRemote is how many bytes of a remote text (a command's stderr, a
// keyboard-interactive prompt) a message shows.
const MaxQuotedRemote = 300

// maxErrText bounds the text of an underlying error in Error(): x/crypto
// puts remote words in some of its errors (a disconnect reason, the
// algorithms the server offers).
const maxErrText = 600

// QuoteRemote returns text that a remote host sent, fit for a message or a
// log: surrounding white space trimmed, at most MaxQuotedRemote bytes (cut
// at a character boundary), in Go's double-quoted form, so that control
// characters, terminal escape sequences and invalid UTF-8 show as \x1b,
// \u009b or \xff and never reach a terminal, and followed by " (cut)" when
// it was longer. Empty text gives "". The rules are internal/termtext's,
// which the reports' tables share.
func QuoteRemote(b []byte) string { return termtext.Quote(string(b), MaxQuotedRemote) }

// escapeText makes an error text safe to print: control characters and
// invalid UTF-8 escaped as in Go strings, everything else (quotes,
// backslashes, letters of any script) kept; the result holds at most max
// bytes before " (cut)", which marks a text that was longer.
func escapeText(s string, max int) string { return termtext.Escape(s, max) }
