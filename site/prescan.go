package site

import "fmt"

// prescan refuses, before any decoding, a value longer than
// MaxReportValue, a row (an object or array at the depth of a row, 3, or
// deeper) longer than MaxReportRow, or nesting deeper than
// maxReportDepth: the Decoder holds a whole value in its buffer (doubling
// it as it grows), a row when it decodes one, and a stack entry for each
// level. A value here is the run of bytes between two of { } [ ] , :
// outside a string.
func prescan(b []byte) error {
	run, depth, rowStart := 0, 0, 0
	inString, escaped := false, false
	for i, c := range b {
		if depth >= 3 && i-rowStart > MaxReportRow {
			return fmt.Errorf("%w: a row of more than %d bytes at byte %d", ErrReportLimit, MaxReportRow, rowStart)
		}
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth == 3 {
				rowStart = i
			}
			if depth > maxReportDepth {
				return fmt.Errorf("%w: nested more than %d deep at byte %d", ErrReportLimit, maxReportDepth, i)
			}
			run = 0
			continue
		case c == '}' || c == ']':
			depth--
			run = 0
			continue
		case c == ',' || c == ':':
			run = 0
			continue
		}
		if run++; run > MaxReportValue {
			return fmt.Errorf("%w: a value of more than %d bytes at byte %d", ErrReportLimit, MaxReportValue, i-run+1)
		}
	}
	return nil
}
