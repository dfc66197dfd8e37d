package kvmguests

import (
	"hash/maphash"
	"sort"
)

// keyset collects the keys of one uniqueness rule as the lines of a chunk
// are read; duplicateKeys finds the repeats across all chunks at the end.
// On a large file a map costs a cache miss per line and rule; hashing the
// keys into a flat slice and looking for repeats in a compact table once
// every line is read is several times faster. An entry is 20 bytes: the key
// is where it lies in the chunk, not a string header of its own.
type keyset struct {
	seed    maphash.Seed
	chunk   string     // what the entries' offsets point into
	extra   []string   // keys that are not a substring of the chunk
	entries []keyEntry // in the order added
}

type keyEntry struct {
	off, n    uint32 // the key is chunk[off:off+n], or extra[off] when n is inExtra
	hash      uint32 // the top half of the key's maphash
	line, col int32
}

const inExtra = ^uint32(0)

func newKeyset(seed maphash.Seed, sizeHint int) *keyset {
	return &keyset{seed: seed, entries: make([]keyEntry, 0, sizeHint)}
}

// addAt adds the key chunk[off:off+n].
func (k *keyset) addAt(off, n, line, col int) {
	h := uint32(maphash.String(k.seed, k.chunk[off:off+n]) >> 32)
	k.entries = append(k.entries, keyEntry{off: uint32(off), n: uint32(n), hash: h, line: int32(line), col: int32(col)})
}

// addString adds a key that the line does not hold as such.
func (k *keyset) addString(key string, line, col int) {
	h := uint32(maphash.String(k.seed, key) >> 32)
	k.entries = append(k.entries, keyEntry{off: uint32(len(k.extra)), n: inExtra, hash: h, line: int32(line), col: int32(col)})
	k.extra = append(k.extra, key)
}

func (k *keyset) key(e *keyEntry) string {
	if e.n == inExtra {
		return k.extra[e.off]
	}
	return k.chunk[e.off : e.off+e.n]
}

// dupTable is the table duplicateKeys works in; one serves every rule.
type dupTable []dupSlot

type dupSlot struct {
	hash uint32
	ref  uint32 // 1 + the entry's index in the whole file; 0 for empty
}

// table returns t cleared, with room for n keys at most half full.
func (t *dupTable) table(n int) []dupSlot {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	if cap(*t) < size {
		*t = make(dupTable, size)
	}
	s := (*t)[:size]
	clear(s)
	return s
}

// duplicateKeys calls report for every key seen before in any of parts
// (the key sets of consecutive chunks, in file order), with the line and
// column of the repeat and the line of the first occurrence.
//
// The table holds only a key's hash and its index, 8 bytes a slot, so that
// for 100,000 keys it stays in the CPU's cache (2 MiB), which a map of
// strings does not. Equal hashes are confirmed by comparing the keys.
func duplicateKeys(parts []*keyset, t *dupTable, report func(key string, line, col, firstLine int)) {
	starts := make([]int, len(parts)+1) // index of each part's first entry
	for i, k := range parts {
		starts[i+1] = starts[i] + len(k.entries)
	}
	table := t.table(starts[len(parts)])
	mask := uint32(len(table) - 1)
	entry := func(ref uint32) (*keyset, *keyEntry) {
		i := int(ref - 1)
		pi := sort.Search(len(parts), func(p int) bool { return starts[p+1] > i })
		return parts[pi], &parts[pi].entries[i-starts[pi]]
	}
	ref := uint32(0)
	for _, k := range parts {
		for ei := range k.entries {
			e := &k.entries[ei]
			ref++
			for i := e.hash & mask; ; i = (i + 1) & mask {
				s := &table[i]
				if s.ref == 0 {
					*s = dupSlot{hash: e.hash, ref: ref}
					break
				}
				if s.hash == e.hash {
					fk, first := entry(s.ref)
					if key := k.key(e); fk.key(first) == key {
						report(key, int(e.line), int(e.col), int(first.line))
						break
					}
				}
			}
		}
	}
}
