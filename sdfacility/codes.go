package sdfacility

import (
	"github.com/sfkvm/sfkvm/diag"
	"github.com/sfkvm/sfkvm/internal/namerule"
)

// The codes of rcsd.cfg and of the output of sdtool -s, listed with their
// rules in the package documentation. Each is a [diag.Code], so
// errors.Is(err, CodeDuplicateNode) works on a diag.Diagnostic, a
// diag.Diagnostics or an error wrapping them. Scripts may match on codes;
// the message may change, the code does not.

// rcsd.cfg, errors.
const (
	CodeTooLarge        diag.Code = "too-large"        // the file is over 1 MiB
	CodeNoNodes         diag.Code = "no-nodes"         // no node line at all
	CodeCR              diag.Code = "cr"               // a carriage return ends the line
	CodeBadChar         diag.Code = "bad-char"         // a control or non-ASCII byte (rcsd.cfg and sdtool -s)
	CodeEmptyNode       diag.Code = "empty-node"       // nothing before the first ',' or ':'
	CodeNodeName        diag.Code = "node-name"        // the node name holds white space, '=' or ':'
	CodeBadOption       diag.Code = "bad-option"       // a node option without '='
	CodeUnknownOption   diag.Code = "unknown-option"   // a node option other than weight= and admIP=
	CodeDuplicateOption diag.Code = "duplicate-option" // weight= or admIP= given twice
	CodeBadWeight       diag.Code = "bad-weight"       // weight is not a whole number of at least 1
	CodeBadAdmIP        diag.Code = "bad-admip"        // admIP is neither an IP address nor an RFC 1123 host name
	CodeNoAgent         diag.Code = "no-agent"         // a node line without agent clause
	CodeEmptyClause     diag.Code = "empty-clause"     // an empty agent clause ("::")
	CodeBadClause       diag.Code = "bad-clause"       // a clause item without '='
	CodeUnknownKey      diag.Code = "unknown-key"      // a clause key other than agent= and timeout=
	CodeDuplicateKey    diag.Code = "duplicate-key"    // agent= or timeout= twice in one clause
	CodeMissingAgent    diag.Code = "missing-agent"    // a clause without agent=, or an empty agent name
	CodeMissingTimeout  diag.Code = "missing-timeout"  // a clause without timeout=
	CodeBadTimeout      diag.Code = "bad-timeout"      // timeout is not a whole number of seconds of at least 1
	CodeDuplicateAgent  diag.Code = "duplicate-agent"  // the same agent twice for one node
	CodeDuplicateNode   diag.Code = "duplicate-node"   // the same node on two lines
)

// rcsd.cfg, warnings.
const (
	CodeBlankLine      diag.Code = "blank-line"       // a blank line
	CodeComment        diag.Code = "comment"          // a comment line
	CodeWhitespace     diag.Code = "whitespace"       // leading or trailing white space
	CodeNoFinalNewline diag.Code = "no-final-newline" // the last line has no newline
	CodeAgentName      diag.Code = "agent-name"       // an agent name that is not SA_ and [A-Za-z0-9_.-]
	CodeAdmIPScope     diag.Code = "admip-scope"      // admIP unspecified, loopback or multicast
	CodeClauseOrder    diag.Code = "clause-order"     // timeout= before agent=
	// CodeAdmnIP is the key spelled admnIP, as the 4.5 guide's syntax line
	// has it; it is read as admIP.
	CodeAdmnIP diag.Code = "admnip"

	// The CF name rule shared with kvmguests and migratesetup, applied to
	// node names.
	CodeNameCharset = namerule.CodeCharset // "name-charset": outside [A-Za-z0-9_.-]
	CodeNameLength  = namerule.CodeLength  // "name-length": over CF's 31 bytes
)

// The output of sdtool -s (file name "sdtool -s"); CodeBadChar too.
const (
	CodeNoTable      diag.Code = "no-table"      // warning: no header line
	CodeNoRows       diag.Code = "no-rows"       // warning: a header but no row
	CodeIgnoredLine  diag.Code = "ignored-line"  // warning: a line before the header
	CodeNoDashes     diag.Code = "no-dashes"     // warning: no line of dashes under the header
	CodeUnknownState diag.Code = "unknown-state" // warning: a state word outside the documented lists
	CodeDuplicateRow diag.Code = "duplicate-row" // warning: the same (node, agent) twice
	CodeRowFields    diag.Code = "row-fields"    // error: a row without exactly six words
)
