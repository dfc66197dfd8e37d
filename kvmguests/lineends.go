package kvmguests

// LineEnds says how two copies differ when they differ only in their line
// ends: they are equal once every CRLF is read as LF. A copy that went
// through a Windows editor or transfer looks like this, and a diff of it
// shows every line changed with nothing visible, so it is named instead.
type LineEnds int

const (
	// LineEndsNotOnly: the copies are identical, or differ in more than
	// line ends.
	LineEndsNotOnly LineEnds = iota
	// CRLFInB: B ends lines with CRLF where A ends them with LF.
	CRLFInB
	// CRLFInA: A ends lines with CRLF where B ends them with LF.
	CRLFInA
	// CRLFInBoth: each copy has CRLF where the other has LF.
	CRLFInBoth
)

var lineEndsNames = [...]string{"", "crlf-in-b", "crlf-in-a", "crlf-in-both"}

// String is the word of the JSON form ("crlf-in-b", ...), empty for
// LineEndsNotOnly.
func (l LineEnds) String() string {
	if l >= 0 && int(l) < len(lineEndsNames) {
		return lineEndsNames[l]
	}
	return "LineEnds(?)"
}

// MarshalText writes the word of String in JSON.
func (l LineEnds) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// compareLineEnds tells whether a and b differ only in line ends, and
// which copy has the CRLFs. It reads both once, side by side, without a
// copy.
func compareLineEnds(a, b []byte) LineEnds {
	crlfA, crlfB := false, false
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			i, j = i+1, j+1
		case a[i] == '\r' && b[j] == '\n' && i+1 < len(a) && a[i+1] == '\n':
			crlfA, i = true, i+1
		case b[j] == '\r' && a[i] == '\n' && j+1 < len(b) && b[j+1] == '\n':
			crlfB, j = true, j+1
		default:
			return LineEndsNotOnly
		}
	}
	switch {
	case i != len(a) || j != len(b):
		return LineEndsNotOnly
	case crlfA && crlfB:
		return CRLFInBoth
	case crlfA:
		return CRLFInA
	case crlfB:
		return CRLFInB
	}
	return LineEndsNotOnly
}
