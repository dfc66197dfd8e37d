package kvmguests

import (
	"github.com/sfkvm/sfkvm/diag"
	"github.com/sfkvm/sfkvm/internal/iprule"
	"github.com/sfkvm/sfkvm/internal/namerule"
)

// The codes of kvmguests.conf. Each is a [diag.Code] and so a sentinel
// error: errors.Is(err, ErrFieldCount) reports whether err (a
// diag.Diagnostic or diag.Diagnostics) contains a problem of that kind.
// Codes never change meaning; the package documentation lists them all.
// The name and IP codes belong to rules shared with migratesetup and
// sdfacility and have the same value there.
// Layout of a line.
const (
	ErrFieldCount    diag.Code = "field-count"      // not exactly seven fields
	ErrLeadingSpace  diag.Code = "leading-space"    // the line starts with a space
	ErrTrailingSpace diag.Code = "trailing-space"   // the line ends with a space
	ErrDoubleSpace   diag.Code = "double-space"     // two or more spaces between fields
	ErrTab           diag.Code = "tab"              // a tab character
	ErrCRLF          diag.Code = "crlf"             // a CR before the LF: CRLF line ending
	ErrBOM           diag.Code = "bom"              // the file starts with a UTF-8 byte-order mark
	ErrControlChar   diag.Code = "control-char"     // another control character, or DEL
	WarnBlankLine    diag.Code = "blank-line"       // an empty line (kept by the writer)
	WarnCommentLine  diag.Code = "comment-line"     // a line starting with # (kept by the writer)
	WarnNoFinalLF    diag.Code = "no-final-newline" // the last line has no newline
	WarnNoGuests     diag.Code = "no-guests"        // the file lists no guest at all

	// ErrTooManyProblems counts the problems past MaxDiagnostics, which
	// are not listed; a warning when none of them is an error.
	ErrTooManyProblems diag.Code = "too-many-problems"
)

// guest_IP.
const (
	ErrIPSyntax       = iprule.CodeSyntax       // "ip-syntax": not an IPv4 or IPv6 address
	ErrIPZone         = iprule.CodeZone         // "ip-zone": an IPv6 zone such as %eth0
	ErrIPLinkLocal    = iprule.CodeLinkLocal    // "ip-link-local": IPv6 link-local (fe80::/10), refused by the manual
	ErrIPNotUnicast   = iprule.CodeNotUnicast   // "ip-not-unicast": unspecified, loopback, multicast or broadcast
	WarnIPv4Mapped    = iprule.CodeV4Mapped     // "ip-v4-mapped": IPv4-mapped IPv6 (::ffff:a.b.c.d)
	WarnIPv4LinkLocal = iprule.CodeV4LinkLocal  // "ip-v4-link-local": 169.254.0.0/16
	WarnIPNotCanon    = iprule.CodeNotCanonical // "ip-not-canonical": parses, but is not written in its canonical form
)

// guest_passwd.
const (
	ErrPasswdNotToken  diag.Code = "passwd-not-token"    // not hexadecimal: looks like a plain-text password
	ErrPasswdOddLength diag.Code = "passwd-odd-length"   // hexadecimal of odd length
	ErrPasswdSealed    diag.Code = "passwd-sealed"       // an sfkvm sealed token (a warning when allowed)
	WarnPasswdBlock    diag.Code = "passwd-block-length" // not a whole number of 16-digit blocks
	WarnPasswdLower    diag.Code = "passwd-lowercase"    // lowercase hexadecimal; sfcipher prints uppercase
)

// Uniqueness across lines.
const (
	ErrDupGuestName diag.Code = "dup-guest-name" // guest-name already on another line
	ErrDupNode      diag.Code = "dup-node"       // (guest-clustername, guest-cfname) already on another line
	ErrDupIP        diag.Code = "dup-ip"         // guest_IP already on another line
	WarnSameHost    diag.Code = "same-host"      // two nodes of one guest cluster on one host
)

// Names.
const (
	WarnNameCharset           = namerule.CodeCharset // "name-charset": a name outside [A-Za-z0-9_.-]
	WarnNameLength            = namerule.CodeLength  // "name-length": a CF name over 31 bytes, a domain name over 64
	WarnUserName    diag.Code = "user-name"          // guest_user is not a portable POSIX user name
)

// The file itself (ReadFile only; see Options.SkipFileChecks).
const (
	ErrFileMode    diag.Code = "file-mode"    // mode is not exactly 0600 (a set-id or sticky bit included)
	ErrFileOwner   diag.Code = "file-owner"   // owner is not root
	ErrFileSymlink diag.Code = "file-symlink" // the path is a symbolic link
)

// IsFileProblem reports whether c is about the file's owner, mode or type
// rather than its contents.
func IsFileProblem(c diag.Code) bool {
	return c == ErrFileMode || c == ErrFileOwner || c == ErrFileSymlink
}

// severity is the fixed severity of every code but ErrPasswdSealed, whose
// severity depends on Options.AllowSealed.
func severity(c diag.Code) diag.Severity {
	switch c {
	case WarnBlankLine, WarnCommentLine, WarnNoFinalLF, WarnNoGuests,
		WarnIPv4Mapped, WarnIPv4LinkLocal, WarnIPNotCanon,
		WarnPasswdBlock, WarnPasswdLower, WarnSameHost,
		WarnNameCharset, WarnNameLength, WarnUserName:
		return diag.Warning
	}
	return diag.Error
}
