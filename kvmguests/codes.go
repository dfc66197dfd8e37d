package kvmguests

// Code is the stable name of one rule. Codes are also sentinel errors:
// errors.Is(err, ErrFieldCount) reports whether err (a Diagnostic or
// Diagnostics) contains a problem of that kind. Codes never change meaning;
// the package documentation lists them all.
type Code string

func (c Code) Error() string { return string(c) }

// Layout of a line.
const (
	ErrFieldCount    Code = "field-count"      // not exactly seven fields
	ErrLeadingSpace  Code = "leading-space"    // the line starts with a space
	ErrTrailingSpace Code = "trailing-space"   // the line ends with a space
	ErrDoubleSpace   Code = "double-space"     // two or more spaces between fields
	ErrTab           Code = "tab"              // a tab character
	ErrCRLF          Code = "crlf"             // a CR before the LF: CRLF line ending
	ErrBOM           Code = "bom"              // the file starts with a UTF-8 byte-order mark
	ErrControlChar   Code = "control-char"     // another control character, or DEL
	WarnBlankLine    Code = "blank-line"       // an empty line (kept by the writer)
	WarnCommentLine  Code = "comment-line"     // a line starting with # (kept by the writer)
	WarnNoFinalLF    Code = "no-final-newline" // the last line has no newline
	WarnNoGuests     Code = "no-guests"        // the file lists no guest at all

	// ErrTooManyProblems counts the problems past MaxDiagnostics, which
	// are not listed; a warning when none of them is an error.
	ErrTooManyProblems Code = "too-many-problems"
)

// guest_IP.
const (
	ErrIPInvalid      Code = "ip-invalid"       // not an IPv4 or IPv6 address
	ErrIPZone         Code = "ip-zone"          // an IPv6 zone such as %eth0
	ErrIPLinkLocal    Code = "ip-link-local"    // IPv6 link-local (fe80::/10), refused by the manual
	ErrIPNotUnicast   Code = "ip-not-unicast"   // unspecified, loopback, multicast or broadcast
	WarnIPMapped      Code = "ip-mapped"        // IPv4-mapped IPv6 (::ffff:a.b.c.d)
	WarnIPv4LinkLocal Code = "ip-v4-link-local" // 169.254.0.0/16
	WarnIPNotCanon    Code = "ip-not-canonical" // parses, but is not written in its canonical form
)

// guest_passwd.
const (
	ErrPasswdNotToken  Code = "passwd-not-token"    // not hexadecimal: looks like a plain-text password
	ErrPasswdOddLength Code = "passwd-odd-length"   // hexadecimal of odd length
	ErrPasswdSealed    Code = "passwd-sealed"       // an sfkvm sealed token (a warning when allowed)
	WarnPasswdBlock    Code = "passwd-block-length" // not a whole number of 16-digit blocks
	WarnPasswdLower    Code = "passwd-lowercase"    // lowercase hexadecimal; sfcipher prints uppercase
)

// Uniqueness across lines.
const (
	ErrDupGuestName Code = "dup-guest-name" // guest-name already on another line
	ErrDupNode      Code = "dup-node"       // (guest-clustername, guest-cfname) already on another line
	ErrDupIP        Code = "dup-ip"         // guest_IP already on another line
	WarnSameHost    Code = "same-host"      // two nodes of one guest cluster on one host
)

// Names.
const (
	WarnNameCharset Code = "name-charset" // a name outside [A-Za-z0-9_.-]
	WarnNameLength  Code = "name-length"  // a CF name over 31 bytes, a domain name over 64
	WarnUserName    Code = "user-name"    // guest_user is not a portable POSIX user name
)

// The file itself (ReadFile only; see Options.SkipFileChecks).
const (
	ErrFileMode    Code = "file-mode"    // mode is not exactly 0600 (a set-id or sticky bit included)
	ErrFileOwner   Code = "file-owner"   // owner is not root
	ErrFileSymlink Code = "file-symlink" // the path is a symbolic link
)

// IsFileProblem reports whether c is about the file's owner, mode or type
// rather than its contents.
func (c Code) IsFileProblem() bool {
	return c == ErrFileMode || c == ErrFileOwner || c == ErrFileSymlink
}

// severity is the fixed severity of every code but ErrPasswdSealed, whose
// severity depends on Options.AllowSealed.
func (c Code) severity() Severity {
	switch c {
	case WarnBlankLine, WarnCommentLine, WarnNoFinalLF, WarnNoGuests,
		WarnIPMapped, WarnIPv4LinkLocal, WarnIPNotCanon,
		WarnPasswdBlock, WarnPasswdLower, WarnSameHost,
		WarnNameCharset, WarnNameLength, WarnUserName:
		return Warning
	}
	return Error
}
