package sshcheck

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

// The pool the generated known_hosts files draw from: keys of every plain
// type, and names that exercise ports, brackets and IPv6.
var (
	poolOnce sync.Once
	poolKeys []ssh.PublicKey
)

var poolAddrs = []string{"10.0.0.1:22", "10.0.0.2:22", "10.0.0.1:2222", "guest1:22", "guest1:2200", "[::1]:22", "[fe80::1]:2222", "Guest1:22"}

func keyPool(t testing.TB) []ssh.PublicKey {
	poolOnce.Do(func() {
		add := func(k any, err error) {
			if err != nil {
				panic(err)
			}
			s, err := ssh.NewSignerFromKey(k)
			if err != nil {
				panic(err)
			}
			poolKeys = append(poolKeys, s.PublicKey())
		}
		for range 3 {
			_, k, err := ed25519.GenerateKey(rand.Reader)
			add(k, err)
		}
		add(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
		add(rsa.GenerateKey(rand.Reader, 2048))
	})
	return poolKeys
}

func authorized(k ssh.PublicKey) string {
	return k.Type() + " " + base64.StdEncoding.EncodeToString(k.Marshal())
}

// genLine makes one known_hosts line: mostly what ssh writes (hashed or
// plain, one or several names, ports), sometimes a revocation, a comment
// or blank, and sometimes a line the index must leave to x/crypto.
func genLine(r *mrand.Rand, keys []ssh.PublicKey, odd bool) string {
	key := keys[r.IntN(len(keys))]
	name := func() string {
		a := poolAddrs[r.IntN(len(poolAddrs))]
		switch h, p, _ := net.SplitHostPort(a); {
		case p == "22" && r.IntN(4) > 0:
			return h
		case !strings.Contains(h, ":") && r.IntN(3) == 0:
			return h + ":" + p // no brackets: x/crypto splits it all the same
		default:
			return "[" + h + "]:" + p
		}
	}
	sp := []string{" ", "\t", "  "}[r.IntN(3)]
	switch n := r.IntN(20); {
	case n < 8:
		return xknownhosts.HashHostname(xknownhosts.Normalize(name())) + sp + authorized(key)
	case n < 13:
		names := []string{name()}
		for r.IntN(2) == 0 {
			names = append(names, name())
		}
		return strings.Join(names, ",") + sp + authorized(key) + " comment"
	case n < 14:
		return "@revoked * " + authorized(key)
	case n < 15:
		return []string{"", "# a comment", "   ", "\r"}[r.IntN(4)]
	case n < 16:
		return " " + name() + " " + authorized(key) + "\r" // CRLF and leading space
	}
	if !odd {
		return name() + " " + authorized(key)
	}
	switch r.IntN(9) {
	case 7:
		return "10.0.0.*," + name() + " " + authorized(key)
	case 0:
		return "@cert-authority *.example " + authorized(key)
	case 1:
		return "!" + name() + "," + name() + " " + authorized(key)
	case 2:
		return "guest? " + authorized(key)
	case 3:
		return name() + " ssh-ed25519 !!notbase64"
	case 4:
		return name() + " ssh-rsa " + base64.StdEncoding.EncodeToString(keys[0].Marshal()) // type mismatch
	case 5:
		return "[guest1] " + authorized(key) // no port after brackets
	case 8:
		return "|2|" + strings.TrimPrefix(xknownhosts.HashHostname(name()), "|1|") + " " + authorized(key) // unknown hash type
	default:
		return "|1|bad|salt " + authorized(key)
	}
}

// TestKnownIndexAgreesWithXCrypto loads generated known_hosts files both
// ways and asks every address with every key: where the index answers, it
// must give x/crypto's answer exactly (accept, the algorithms in order),
// and check's result, errors included, must be the same as without it.
func TestKnownIndexAgreesWithXCrypto(t *testing.T) {
	keys := keyPool(t)
	r := mrand.New(mrand.NewPCG(1, 2))
	var indexed, accepted, refused, unindexed int
	for round := range 300 {
		dir := t.TempDir()
		var files []string
		for f := range 1 + r.IntN(2) {
			var lines []string
			for range r.IntN(12) {
				lines = append(lines, genLine(r, keys, round%3 == 0))
			}
			p := filepath.Join(dir, fmt.Sprintf("known_hosts%d", f))
			if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
				t.Fatal(err)
			}
			files = append(files, p)
		}
		k, err := loadKnownHosts(files)
		if err != nil {
			continue // x/crypto refuses the files: nothing to compare
		}
		if k.index == nil {
			unindexed++
			continue
		}
		indexed++
		plain := &knownDB{db: k.db, names: k.names}
		for _, a := range poolAddrs {
			algos, ok := k.index.algorithms(a)
			if want := k.db.HostKeyAlgorithms(a); !ok || !cmp.Equal(algos, want) {
				t.Fatalf("round %d %s: algorithms %q (ok %v), x/crypto %q\nfiles: %q", round, a, algos, ok, want, dump(files))
			}
			for _, key := range keys {
				want := k.db.HostKeyCallback()(a, fakeRemote(a), key) == nil
				if got := k.index.accepts(a, key); got != want {
					t.Fatalf("round %d %s %s: index accepts %v, x/crypto %v\nfiles: %q", round, a, ssh.FingerprintSHA256(key), got, want, dump(files))
				}
				if want {
					accepted++
				} else {
					refused++
				}
				e1, e2 := check(k, a, key), check(plain, a, key)
				if fmt.Sprint(e1) != fmt.Sprint(e2) {
					t.Fatalf("round %d %s: check %v, without the index %v", round, a, e1, e2)
				}
			}
		}
	}
	// The comparison must have seen every kind of answer, or it proved
	// nothing.
	if indexed < 100 || unindexed < 20 || accepted < 500 || refused < 500 {
		t.Fatalf("too few cases: %d indexed, %d left to x/crypto, %d accepted, %d refused", indexed, unindexed, accepted, refused)
	}
}

func dump(files []string) []string {
	var out []string
	for _, f := range files {
		b, _ := os.ReadFile(f)
		out = append(out, string(b))
	}
	return out
}

// TestKnownIndexRevoked: a key that is revoked is never accepted by the
// index, even on a line that names the host (x/crypto refuses it first).
func TestKnownIndexRevoked(t *testing.T) {
	key := keyPool(t)[0]
	p := filepath.Join(t.TempDir(), "known_hosts")
	text := xknownhosts.HashHostname("10.0.0.1") + " " + authorized(key) + "\n@revoked * " + authorized(key) + "\n"
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := loadKnownHosts([]string{p})
	if err != nil || k.index == nil {
		t.Fatalf("load: %v, index %v", err, k.index)
	}
	if k.index.accepts("10.0.0.1:22", key) {
		t.Fatal("index accepts a revoked key")
	}
	if err := check(k, "10.0.0.1:22", key); !strings.Contains(fmt.Sprint(err), "revoked") {
		t.Fatalf("check = %v, want the revoked error", err)
	}
}

// TestKnownIndexOnlyOfWhatXCryptoRead: a file that differs between the
// reads before and after x/crypto's is not indexed.
func TestKnownIndexOnlyOfWhatXCryptoRead(t *testing.T) {
	line := []byte("10.0.0.1 " + authorized(keyPool(t)[0]) + "\n")
	names := []string{"/dev/fd/9"}
	if indexOf(names, [][]byte{line}, [][]byte{line}) == nil {
		t.Fatal("unchanged file not indexed")
	}
	for _, after := range [][][]byte{{append(line, '#')}, nil} {
		if indexOf(names, [][]byte{line}, after) != nil {
			t.Fatalf("indexed although the file read %q after x/crypto", after)
		}
	}
}

// FuzzKnownIndex: for any file x/crypto loads and the index reads, the two
// agree on every pool address and key.
func FuzzKnownIndex(f *testing.F) {
	keys := keyPool(f)
	r := mrand.New(mrand.NewPCG(3, 4))
	for i := range 20 {
		var lines []string
		for range 1 + r.IntN(6) {
			lines = append(lines, genLine(r, keys, i%2 == 0))
		}
		f.Add([]byte(strings.Join(lines, "\n")))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "known_hosts")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		k, err := loadKnownHosts([]string{p})
		if err != nil || k.index == nil {
			return
		}
		for _, a := range poolAddrs {
			if algos, _ := k.index.algorithms(a); !cmp.Equal(algos, k.db.HostKeyAlgorithms(a)) {
				t.Fatalf("%s: algorithms %q, x/crypto %q", a, algos, k.db.HostKeyAlgorithms(a))
			}
			for _, key := range keys {
				if got, want := k.index.accepts(a, key), k.db.HostKeyCallback()(a, fakeRemote(a), key) == nil; got != want {
					t.Fatalf("%s: index accepts %v, x/crypto %v", a, got, want)
				}
			}
		}
	})
}

// BenchmarkKnownHostsHashed1000 is one connection's two lookups (the
// algorithms to ask for, then the key) in a known_hosts of 1,000 hashed
// lines, as a site's hosts have: through the index, and through x/crypto
// alone as before it.
//
//	go test ./sshcheck -run X -bench KnownHostsHashed1000
func BenchmarkKnownHostsHashed1000(b *testing.B) {
	keys := keyPool(b)
	var text strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&text, "%s %s\n", xknownhosts.HashHostname(fmt.Sprintf("10.1.%d.%d", i/250, i%250+2)), authorized(keys[i%3]))
	}
	p := filepath.Join(b.TempDir(), "known_hosts")
	if err := os.WriteFile(p, []byte(text.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	k, err := loadKnownHosts([]string{p})
	if err != nil || k.index == nil {
		b.Fatalf("load: %v, index %v", err, k.index)
	}
	h := &hostKeys{db: k}
	plain := &hostKeys{db: &knownDB{db: k.db, names: k.names}}
	for _, c := range []struct {
		name  string
		h     *hostKeys
		fresh bool // every name looked up for the first time
	}{{"index", h, false}, {"index-first", h, true}, {"xcrypto", plain, false}} {
		b.Run(c.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				if c.fresh {
					clear(k.index.matches)
				}
				a := fmt.Sprintf("10.1.%d.%d:22", i%1000/250, i%250+2)
				if len(c.h.algorithms(a)) == 0 || check(c.h.current(), a, keys[i%1000%3]) != nil {
					b.Fatalf("%s not accepted", a)
				}
				i++
			}
		})
	}
}
