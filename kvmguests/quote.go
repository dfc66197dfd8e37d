package kvmguests

import (
	"fmt"
	"strconv"
)

// quoteName quotes a (non-secret) field value for a message, escaping
// anything that is not printable so that a message stays on one line.
func quoteName(s string) string { return strconv.Quote(s) }

// describeByte names a byte for a message.
func describeByte(c byte) string {
	switch {
	case c < 0x20 || c == 0x7f:
		return fmt.Sprintf("the control character 0x%02X", c)
	case c >= 0x80:
		return fmt.Sprintf("the non-ASCII byte 0x%02X", c)
	}
	return fmt.Sprintf("%q", rune(c))
}
