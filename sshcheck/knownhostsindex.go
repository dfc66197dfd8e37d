package sshcheck

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"hash"
	"io"
	"net"
	"slices"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

// knownIndex is a second reading of the known_hosts files that x/crypto
// loaded, for the common answer only: "this key is known for this host
// and not revoked", and which host key algorithms to ask for.
//
// Why: x/crypto sets up a fresh HMAC for every hashed line on every lookup
// (and a connection looks a host up twice: once for the algorithms, once
// for the key). With a site's known_hosts of 1,000 hashed lines (Debian
// hashes them by default) that was 40% of the CPU of a preflight over
// 1,000 guests, and most of its garbage. The index keeps each hashed
// line's keyed HMAC and remembers which lines a name matched, so a name is
// hashed once per line and per load.
//
// Every other answer (unknown, changed, revoked, a certificate) still
// comes from x/crypto, so errors and the lines they name are x/crypto's.
// And the index answers at all only when it reads every line exactly as
// x/crypto does: a file with a @cert-authority line, a wildcard or negated
// pattern, or a line x/crypto would skip as invalid leaves every lookup to
// x/crypto. TestKnownIndexAgreesWithXCrypto and FuzzKnownIndex hold the
// two readings together.
type knownIndex struct {
	lines   []indexLine
	revoked map[string]bool // plainKeyBlob of each @revoked key

	mu      sync.Mutex       // guards matches and the HMAC states in lines
	matches map[addr][]int32 // host -> indexes into lines, in file order
	sum     []byte           // scratch for one HMAC, under mu
}

// addr is a host and port as x/crypto's check splits them.
type addr struct{ host, port string }

type indexLine struct {
	file string // the name x/crypto was given (/dev/fd/N)
	line int
	key  ssh.PublicKey
	blob []byte // key.Marshal()

	names []addr    // a plain pattern list
	mac   hash.Hash // a hashed line: HMAC-SHA1 keyed with its salt
	want  []byte    // and the hash it must give
}

// maxIndexedNames bounds the remembered lookups of one load; a Prober
// that lives long and dials many names still hashes correctly beyond it,
// only without remembering.
const maxIndexedNames = 1 << 16

// buildKnownIndex reads the files (name as x/crypto was given it, and its
// content) and returns nil when any line is one the index does not read
// exactly as x/crypto does.
func buildKnownIndex(names []string, contents []io.Reader) *knownIndex {
	x := &knownIndex{revoked: map[string]bool{}, matches: map[addr][]int32{}}
	for i, r := range contents {
		// The same splitting as x/crypto's Read: bufio.Scanner's lines
		// (a final \r dropped, 64 KiB at most), then spaces and tabs trimmed.
		sc := bufio.NewScanner(r)
		n := 0
		for sc.Scan() {
			n++
			line := bytes.Trim(sc.Bytes(), " \t")
			if len(line) == 0 || line[0] == '#' {
				continue
			}
			if !x.add(line, names[i], n) {
				return nil
			}
		}
		if sc.Err() != nil {
			return nil
		}
	}
	return x
}

// add reads one line as x/crypto's parseLine does and reports whether the
// index can stand for it.
func (x *knownIndex) add(line []byte, file string, n int) bool {
	marker, rest := nextWord(line)
	if marker == "@cert-authority" {
		return false
	}
	if marker != "@revoked" {
		marker, rest = "", line
	}
	pattern, rest := nextWord(rest)
	if len(rest) == 0 || pattern == "" || pattern[0] == '@' {
		return false
	}
	wantType, rest := nextWord(rest)
	if len(rest) == 0 {
		return false
	}
	b64, _ := nextWord(rest)
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return false
	}
	key, err := ssh.ParsePublicKey(raw)
	if err != nil || key.Type() != wantType {
		return false
	}
	if marker == "@revoked" {
		x.revoked[plainKeyBlob(key)] = true
		return true
	}
	l := indexLine{file: file, line: n, key: key, blob: key.Marshal()}
	if pattern[0] == '|' {
		salt, want, ok := decodeHashed(pattern)
		if !ok {
			return false
		}
		l.mac, l.want = hmac.New(sha1.New, salt), want
	} else if l.names = plainNames(pattern); l.names == nil {
		return false
	}
	x.lines = append(x.lines, l)
	return true
}

// nextWord is x/crypto's: the text up to the first space or tab, and the
// rest with spaces and tabs trimmed.
func nextWord(line []byte) (string, []byte) {
	i := bytes.IndexAny(line, "\t ")
	if i == -1 {
		return string(line), nil
	}
	return string(line[:i]), bytes.Trim(line[i:], " \t")
}

// decodeHashed reads |1|salt|hash as x/crypto's decodeHash and
// newHashedHost do.
func decodeHashed(p string) (salt, want []byte, ok bool) {
	c := strings.Split(p, "|")
	if len(c) != 4 || c[1] != "1" {
		return nil, nil, false
	}
	salt, err1 := base64.StdEncoding.DecodeString(c[2])
	want, err2 := base64.StdEncoding.DecodeString(c[3])
	return salt, want, err1 == nil && err2 == nil
}

// plainNames reads a comma-separated list as x/crypto's
// newHostnameMatcher does, or returns nil for a list the index leaves to
// x/crypto: a negation or a wildcard, or a malformed [host]:port.
func plainNames(p string) []addr {
	var out []addr
	for _, s := range strings.Split(p, ",") {
		if s == "" {
			continue
		}
		if strings.ContainsAny(s, "!*?") {
			return nil
		}
		h, port, err := net.SplitHostPort(s)
		if err != nil {
			if s[0] == '[' {
				return nil // x/crypto rejects the line
			}
			h, port = s, "22"
		}
		out = append(out, addr{h, port})
	}
	if out == nil {
		out = []addr{} // a list of empty names matches nothing, as in x/crypto
	}
	return out
}

// plainKeyBlob is x/crypto's key for its revoked set: a certificate is
// revoked through its plain key.
func plainKeyBlob(key ssh.PublicKey) string {
	if c, ok := key.(*ssh.Certificate); ok {
		return string(c.Key.Marshal())
	}
	return string(key.Marshal())
}

// lookup returns the indexes of the lines that name hostport, in the order
// x/crypto reads them; ok is false for an address x/crypto would not split.
func (x *knownIndex) lookup(hostport string) (idx []int32, ok bool) {
	h, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, false
	}
	a := addr{h, port}
	x.mu.Lock()
	defer x.mu.Unlock()
	if idx, ok := x.matches[a]; ok {
		return idx, true
	}
	// x/crypto hashes Normalize(addr.String()): brackets for a host with a
	// colon, then the bare host for port 22.
	hs := h
	if strings.Contains(hs, ":") {
		hs = "[" + hs + "]"
	}
	hashed := []byte(xknownhosts.Normalize(hs + ":" + port))
	for i := range x.lines {
		l := &x.lines[i]
		if l.mac != nil {
			l.mac.Reset()
			l.mac.Write(hashed)
			x.sum = l.mac.Sum(x.sum[:0])
			if hmac.Equal(x.sum, l.want) {
				idx = append(idx, int32(i))
			}
			continue
		}
		if slices.Contains(l.names, a) {
			idx = append(idx, int32(i))
		}
	}
	if len(x.matches) < maxIndexedNames {
		x.matches[a] = idx
	}
	return idx, true
}

// accepts reports whether x/crypto would accept key for hostport without
// an error: not revoked, not a certificate, and on a line that names the
// host. False means "ask x/crypto", not "refused".
func (x *knownIndex) accepts(hostport string, key ssh.PublicKey) bool {
	if _, cert := key.(*ssh.Certificate); cert || x.revoked[plainKeyBlob(key)] {
		return false
	}
	idx, ok := x.lookup(hostport)
	if !ok {
		return false
	}
	blob := key.Marshal()
	for _, i := range idx {
		if bytes.Equal(x.lines[i].blob, blob) {
			return true
		}
	}
	return false
}

// algorithms returns what skeema/knownhosts' HostKeyAlgorithms returns for
// hostport: the key types of the lines that name it, ordered by file name
// and line, RSA as its two SHA-2 signature algorithms then ssh-rsa, no
// repeats; nil for an unknown host. ok is false when x/crypto must answer.
func (x *knownIndex) algorithms(hostport string) (algos []string, ok bool) {
	idx, ok := x.lookup(hostport)
	if !ok {
		return nil, false
	}
	lines := make([]*indexLine, len(idx))
	for j, i := range idx {
		lines[j] = &x.lines[i]
	}
	slices.SortStableFunc(lines, func(a, b *indexLine) int {
		if c := strings.Compare(a.file, b.file); c != 0 {
			return c
		}
		return a.line - b.line
	})
	add := func(t string) {
		if !slices.Contains(algos, t) {
			algos = append(algos, t)
		}
	}
	for _, l := range lines {
		t := l.key.Type()
		if t == ssh.KeyAlgoRSA {
			add(ssh.KeyAlgoRSASHA512)
			add(ssh.KeyAlgoRSASHA256)
		}
		add(t)
	}
	return algos, true
}
