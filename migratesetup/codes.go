package migratesetup

import (
	"github.com/sfkvm/sfkvm/diag"
	"github.com/sfkvm/sfkvm/internal/iprule"
	"github.com/sfkvm/sfkvm/internal/namerule"
)

// The codes of the host information file, of the host CF node name and of
// the host IP check. Each is a [diag.Code], so errors.Is(err, CodeSyntax)
// works on a diag.Diagnostic, a diag.Diagnostics or an error wrapping them.
// Scripts may match on codes; the message may change, the code does not.
// The name and IP codes belong to rules shared with kvmguests and have the
// same values there.
const (
	CodeTooLarge      diag.Code = "hostinfo-too-large"   // more than MaxFileSize bytes
	CodeBadPadding    diag.Code = "hostinfo-bad-padding" // something other than NUL after the first NUL
	CodeNotText       diag.Code = "hostinfo-not-text"    // a byte that is not printable 7-bit ASCII
	CodeCR            diag.Code = "hostinfo-cr"          // a carriage return (CRLF line ends)
	CodeSyntax        diag.Code = "hostinfo-syntax"      // not "key value" with one space
	CodeUnknownKey    diag.Code = "hostinfo-unknown-key" // a key this version does not know
	CodeDuplicateKey  diag.Code = "hostinfo-duplicate"   // the same key twice
	CodeMissingKey    diag.Code = "hostinfo-missing"     // a required key is absent
	CodeVersion       diag.Code = "hostinfo-version"     // format missing, not first, or not supported
	CodeNoNewline     diag.Code = "hostinfo-no-newline"  // the last line has no newline
	CodeBadWeightLink diag.Code = "hostinfo-weight-link" // weight-link is neither on nor off
	CodeBadCFName     diag.Code = "cfname-invalid"       // empty, or a byte that cannot be written
)

// The codes of the CF name and IP address rules, shared with kvmguests.
const (
	CodeNameCharset   = namerule.CodeCharset    // "name-charset": outside [A-Za-z0-9_.-] (warning)
	CodeNameLength    = namerule.CodeLength     // "name-length": longer than CF's 31 bytes (warning)
	CodeIPSyntax      = iprule.CodeSyntax       // "ip-syntax": not an IP address
	CodeIPZone        = iprule.CodeZone         // "ip-zone": an IPv6 zone such as %eth0
	CodeIPLinkLocal   = iprule.CodeLinkLocal    // "ip-link-local": IPv6 link-local (fe80::/10)
	CodeIPNotUnicast  = iprule.CodeNotUnicast   // "ip-not-unicast": unspecified, loopback, multicast, broadcast
	CodeIPv4Mapped    = iprule.CodeV4Mapped     // "ip-v4-mapped": ::ffff:a.b.c.d (warning)
	CodeIPv4LinkLocal = iprule.CodeV4LinkLocal  // "ip-v4-link-local": 169.254.0.0/16 (warning)
	CodeIPNotCanon    = iprule.CodeNotCanonical // "ip-not-canonical": not in canonical form (warning)
)
