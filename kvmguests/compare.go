package kvmguests

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
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

// redactTokens replaces every field from the seventh on (guest_passwd, and
// anything after it on a malformed line) by a fingerprint of it.
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
		if len(line) > 0 && line[0] == '#' {
			out.Write(line)
			continue
		}
		field := 0
		for i := 0; i < len(line); {
			if isSeparator(line[i]) {
				out.WriteByte(line[i])
				i++
				continue
			}
			j := i
			for j < len(line) && !isSeparator(line[j]) {
				j++
			}
			field++
			if field >= 7 {
				sum := sha256.Sum256(line[i:j])
				out.WriteString("<token sha256:" + hex.EncodeToString(sum[:4]) + ">")
			} else {
				out.Write(line[i:j])
			}
			i = j
		}
	}
	return out.String()
}

func isSeparator(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
