package kvmguests

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"
)

// Copy is one host's copy of kvmguests.conf: PRIMECLUSTER wants the file
// byte-identical on every host OS.
type Copy struct {
	Name string // shown in the diff, e.g. "host2:/etc/opt/FJSVcluster/etc/kvmguests.conf"
	Data []byte
}

// Comparison is the result of comparing one copy with another.
type Comparison struct {
	A         string `json:"a"` // the names of the two copies
	B         string `json:"b"`
	Identical bool   `json:"identical"` // byte for byte
	// Diff is a unified diff from A to B, empty when Identical. Password
	// tokens are replaced by a short fingerprint on both sides, so a
	// difference in a token still shows, but the token does not.
	Diff string `json:"diff,omitempty"`
}

// Compare tells whether two copies are byte-identical and, when not, how
// they differ.
func Compare(a, b Copy) Comparison {
	c := Comparison{A: a.Name, B: b.Name, Identical: bytes.Equal(a.Data, b.Data)}
	if !c.Identical {
		c.Diff = udiff.Unified(a.Name, b.Name, redactTokens(a.Data), redactTokens(b.Data))
		if c.Diff == "" {
			// Only possible when the bytes differ in a way the line diff
			// does not show; say so rather than print nothing.
			c.Diff = "--- " + a.Name + "\n+++ " + b.Name + "\n(the copies differ, but not line by line)\n"
		}
	}
	return c
}

// redactTokens applies RedactLine to every line of data.
func redactTokens(data []byte) string {
	var out strings.Builder
	out.Grow(len(data))
	for len(data) > 0 {
		line := data
		rest := []byte(nil)
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, rest = data[:i+1], data[i+1:]
		}
		data = rest
		out.WriteString(RedactLine(string(line)))
	}
	return out.String()
}

// RedactLine returns line with whatever may be a secret replaced by a short
// fingerprint of it (so that a difference still shows): on a line of seven
// fields, guest_passwd; on a malformed line, where it cannot be told which
// field is the password, every field from the fifth on that is not an IP
// address, or every field of a line of fewer than five. Comment and blank
// lines are kept; separators are kept as they are.
func RedactLine(line string) string {
	if strings.HasPrefix(line, "#") {
		return line
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
			sum := sha256.Sum256([]byte(v))
			out.WriteString("<token sha256:" + hex.EncodeToString(sum[:4]) + ">")
		} else {
			out.WriteString(v)
		}
		prev = f.end
	}
	out.WriteString(line[prev:])
	return out.String()
}

func isSeparator(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
