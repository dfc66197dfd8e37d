package kvmguests

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"
	"sync"
)

// RedactLine returns line with whatever may be a secret replaced by a
// fingerprint of it, "<token hmac:1a2b3c4d>", so that a difference still
// shows: on a line of seven fields, guest_passwd; on a malformed line, where
// it cannot be told which field is the password, every field from the fifth
// on that is not an IP address, or every field of a line of fewer than five.
// Comment and blank lines are kept; separators are kept as they are.
//
// The fingerprint is keyed with a random key made once per process: equal
// values show equal fingerprints within one run (one diff, one report), but
// a fingerprint cannot be looked up in a dictionary (a plain-text password
// typed by mistake would be found at once from an unkeyed hash), and a
// fingerprint from one run says nothing about another.
//
// A line longer than MaxShownLine, which no real kvmguests.conf holds, is
// shown as one fingerprint of the whole line: "<a line of more than 4096
// bytes, hmac:1a2b3c4d>" (its fields are not looked at one by one, which on
// a huge line would take time and memory without end).
func RedactLine(line string) string {
	if strings.HasPrefix(line, "#") {
		return line
	}
	if len(line) > MaxShownLine {
		body := strings.TrimRight(line, "\r\n")
		return "<a line of more than " + strconv.Itoa(MaxShownLine) + " bytes, hmac:" + fingerprint(body) + ">" + line[len(body):]
	}
	type span struct{ start, end int }
	var fields []span
	for i := 0; i < len(line); {
		if isSeparator(line[i]) {
			i++
			continue
		}
		j := i
		for j < len(line) && !isSeparator(line[j]) {
			j++
		}
		fields = append(fields, span{i, j})
		i = j
	}
	secret := func(n int, f string) bool {
		switch {
		case len(fields) == 7:
			return n == 6
		case len(fields) < 5:
			return true
		}
		_, err := netip.ParseAddr(f)
		return n >= 4 && err != nil
	}
	var out strings.Builder
	prev := 0
	for n, f := range fields {
		out.WriteString(line[prev:f.start])
		if v := line[f.start:f.end]; secret(n, v) {
			out.WriteString("<token hmac:" + fingerprint(v) + ">")
		} else {
			out.WriteString(v)
		}
		prev = f.end
	}
	out.WriteString(line[prev:])
	return out.String()
}

// MaxShownLine is the longest line that RedactLine shows field by field.
const MaxShownLine = 4096

// fingerprintKey is the key of this process's fingerprints.
var fingerprintKey = sync.OnceValue(func() []byte {
	k := make([]byte, 32)
	rand.Read(k) // never fails (crypto/rand, Go 1.24 and later)
	return k
})

// fingerprint is the first 4 bytes of HMAC-SHA-256(fingerprintKey, v), in
// hex: short enough to read, long enough that two different tokens in one
// file show the same fingerprint only by a 1 in 4 billion chance.
func fingerprint(v string) string {
	m := hmac.New(sha256.New, fingerprintKey())
	var buf [4096]byte // a long line is hashed through it, not copied whole
	for len(v) > 0 {
		n := copy(buf[:], v)
		m.Write(buf[:n])
		v = v[n:]
	}
	return hex.EncodeToString(m.Sum(nil)[:4])
}

func isSeparator(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
