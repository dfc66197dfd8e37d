package kvmguests

import "hash/maphash"

// keyset collects the keys of one uniqueness rule as the lines of a chunk
// are read; duplicateKeys finds the repeats across all chunks at the end. On a large file a map costs a cache miss
// per line and per rule; hashing the keys into a flat slice and
// radix-sorting it reads memory in order instead, which is several times
// faster. Equal hashes are confirmed by comparing the keys themselves.
type keyset struct {
	seed  maphash.Seed
	recs  []keyRec // hash and position of every key, in the order added
	keys  []string
	lines []int32
	cols  []int32
}

type keyRec struct {
	hash uint32 // the top half of the key's maphash
	idx  uint32 // index into keys, lines and cols
}

func newKeyset(seed maphash.Seed, sizeHint int) *keyset {
	return &keyset{
		seed:  seed,
		recs:  make([]keyRec, 0, sizeHint),
		keys:  make([]string, 0, sizeHint),
		lines: make([]int32, 0, sizeHint),
		cols:  make([]int32, 0, sizeHint),
	}
}

func (k *keyset) add(key string, line, col int) {
	k.recs = append(k.recs, keyRec{hash: uint32(maphash.String(k.seed, key) >> 32), idx: uint32(len(k.keys))})
	k.keys = append(k.keys, key)
	k.lines = append(k.lines, int32(line))
	k.cols = append(k.cols, int32(col))
}

// keyRef is one key of a rule in the whole file: its hash, and where it
// lies (which chunk's key set, which entry).
type keyRef struct {
	hash       uint32
	part, item uint32
}

// duplicateKeys calls report for every key seen before in any of parts (the
// key sets of consecutive chunks), with the line and column of the repeat
// and the line of the first occurrence, in no particular order.
func duplicateKeys(parts []*keyset, report func(key string, line, col, firstLine int)) {
	n := 0
	for _, k := range parts {
		n += len(k.recs)
	}
	refs := make([]keyRef, 0, n)
	for pi, k := range parts {
		for _, r := range k.recs {
			refs = append(refs, keyRef{hash: r.hash, part: uint32(pi), item: r.idx})
		}
		k.recs = nil // let it go
	}
	refs = radixSort(refs)
	for i := 0; i < len(refs); {
		j := i + 1
		for j < len(refs) && refs[j].hash == refs[i].hash {
			j++
		}
		if j-i > 1 {
			group(parts, refs[i:j], report)
		}
		i = j
	}
}

// group handles keys of equal hash, in file order: usually one key
// repeated, rarely different keys whose hashes collide.
func group(parts []*keyset, g []keyRef, report func(key string, line, col, firstLine int)) {
	first := make(map[string]int32, len(g))
	for _, r := range g {
		k := parts[r.part]
		key := k.keys[r.item]
		if line, seen := first[key]; seen {
			report(key, int(k.lines[r.item]), int(k.cols[r.item]), int(line))
		} else {
			first[key] = k.lines[r.item]
		}
	}
}

// radixSort sorts refs by hash, keeping the order of equal hashes (so the
// first occurrence of a key stays first): four passes of 8 bits.
func radixSort(refs []keyRef) []keyRef {
	tmp := make([]keyRef, len(refs))
	src, dst := refs, tmp
	for shift := uint(0); shift < 32; shift += 8 {
		var count [257]int
		for _, r := range src {
			count[(r.hash>>shift)&0xff+1]++
		}
		for i := 1; i < 257; i++ {
			count[i] += count[i-1]
		}
		for _, r := range src {
			b := (r.hash >> shift) & 0xff
			dst[count[b]] = r
			count[b]++
		}
		src, dst = dst, src
	}
	return src // after an even number of passes, back in refs
}
