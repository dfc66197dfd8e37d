package kvmguests

import "strconv"

// quoteName quotes a (non-secret) field value for a message, escaping
// anything that is not printable so that a message stays on one line.
func quoteName(s string) string { return strconv.Quote(s) }
