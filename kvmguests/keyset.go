package kvmguests

import "hash/maphash"

// keyset collects the keys of one uniqueness rule as the lines of a chunk
// are read; duplicateKeys finds the repeats across all chunks at the end.
// On a large file a map costs a cache miss per line and rule; hashing the
// keys into a flat slice and looking for repeats in a compact table once
// every line is read is several times faster.
type keyset struct {
	seed    maphash.Seed
	entries []keyEntry // in the order added
}

type keyEntry struct {
	key       string
	hash      uint32 // the top half of the key's maphash
	line, col int32
}

func newKeyset(seed maphash.Seed, sizeHint int) *keyset {
	return &keyset{seed: seed, entries: make([]keyEntry, 0, sizeHint)}
}

func (k *keyset) add(key string, line, col int) {
	k.entries = append(k.entries, keyEntry{key: key, hash: uint32(maphash.String(k.seed, key) >> 32), line: int32(line), col: int32(col)})
}

// duplicateKeys calls report for every key seen before in any of parts
// (the key sets of consecutive chunks, in file order), with the line and
// column of the repeat and the line of the first occurrence.
//
// The table holds only a key's hash and where the key is, 12 bytes a slot,
// so that for 100,000 keys it stays in the CPU's cache (2 or 3 MiB), which a
// map of strings does not. Equal hashes are confirmed by comparing the keys.
func duplicateKeys(parts []*keyset, report func(key string, line, col, firstLine int)) {
	n := 0
	for _, k := range parts {
		n += len(k.entries)
	}
	size := 16
	for size < 2*n {
		size <<= 1
	}
	type slot struct {
		hash uint32
		part uint32 // 1 + the part's index; 0 for an empty slot
		item uint32
	}
	table := make([]slot, size)
	mask := uint32(size - 1)
	for pi, k := range parts {
		for ei := range k.entries {
			e := &k.entries[ei]
			for i := e.hash & mask; ; i = (i + 1) & mask {
				s := &table[i]
				if s.part == 0 {
					*s = slot{hash: e.hash, part: uint32(pi) + 1, item: uint32(ei)}
					break
				}
				if s.hash == e.hash {
					if first := &parts[s.part-1].entries[s.item]; first.key == e.key {
						report(e.key, int(e.line), int(e.col), int(first.line))
						break
					}
				}
			}
		}
	}
}
