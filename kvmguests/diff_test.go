package kvmguests

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestCompareDiffLikeDiffU: the diff is the one diff -u prints (the lines
// are comments, which are not redacted), line numbers included, for
// changes at the start, in the middle, at the end and without a final
// newline, and for changes near each other (one hunk) and far apart (two).
func TestCompareDiffLikeDiffU(t *testing.T) {
	lines := func(from, to int) string {
		var b strings.Builder
		for i := from; i <= to; i++ {
			fmt.Fprintf(&b, "# line %d\n", i)
		}
		return b.String()
	}
	base := lines(1, 30)
	for _, tc := range []struct{ name, a, b, want string }{
		{"first line", base, "# new\n" + lines(2, 30), "@@ -1,4 +1,4 @@\n-# line 1\n+# new\n # line 2\n # line 3\n # line 4\n"},
		{"inserted in the middle", base, lines(1, 15) + "# new\n" + lines(16, 30),
			"@@ -13,6 +13,7 @@\n # line 13\n # line 14\n # line 15\n+# new\n # line 16\n # line 17\n # line 18\n"},
		{"last line removed", base, lines(1, 29), "@@ -27,4 +27,3 @@\n # line 27\n # line 28\n # line 29\n-# line 30\n"},
		{"no final newline", base, strings.TrimSuffix(base, "\n"),
			"@@ -27,4 +27,4 @@\n # line 27\n # line 28\n # line 29\n-# line 30\n+# line 30\n\\ No newline at end of file\n"},
		{"two near changes, one hunk", base, strings.NewReplacer("# line 10\n", "# ten\n", "# line 15\n", "# fifteen\n").Replace(base),
			"@@ -7,12 +7,12 @@\n # line 7\n # line 8\n # line 9\n-# line 10\n+# ten\n # line 11\n # line 12\n # line 13\n # line 14\n-# line 15\n+# fifteen\n # line 16\n # line 17\n # line 18\n"},
		{"two far changes, two hunks", base, strings.NewReplacer("# line 2\n", "# two\n", "# line 29\n", "# twenty-nine\n").Replace(base),
			"@@ -1,5 +1,5 @@\n # line 1\n-# line 2\n+# two\n # line 3\n # line 4\n # line 5\n@@ -26,5 +26,5 @@\n # line 26\n # line 27\n # line 28\n-# line 29\n+# twenty-nine\n # line 30\n"},
		{"from empty", "", "# a\n", "@@ -0,0 +1 @@\n+# a\n"},
		{"to empty", "# a\n# b\n", "", "@@ -1,2 +0,0 @@\n-# a\n-# b\n"},
		{"a line cut in two", "# ab\n", "# a\n# b\n", "@@ -1 +1,2 @@\n-# ab\n+# a\n+# b\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Compare(Copy{Name: "a", Data: []byte(tc.a)}, Copy{Name: "b", Data: []byte(tc.b)})
			if want := "--- a\n+++ b\n" + tc.want; c.Diff != want || c.Identical || c.Cut {
				t.Errorf("diff:\n%s\nwant:\n%s", c.Diff, want)
			}
		})
	}
}

// TestCompareDiffApplies: on random copies, applying the diff to A (with
// its context and line numbers checked strictly) gives B.
func TestCompareDiffApplies(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		a := randomLines(rng, rng.IntN(40))
		b := mutate(rng, a)
		c := Compare(Copy{Name: "a", Data: []byte(strings.Join(a, ""))}, Copy{Name: "b", Data: []byte(strings.Join(b, ""))})
		got, err := applyUnified(a, c.Diff)
		if err != nil || strings.Join(got, "") != strings.Join(b, "") {
			t.Fatalf("case %d: %v\na: %q\nb: %q\ndiff:\n%s", n, err, a, b, c.Diff)
		}
	}
}

func randomLines(rng *rand.Rand, n int) []string {
	var ls []string
	for range n {
		ls = append(ls, "# "+strconv.Itoa(rng.IntN(6))+"\n")
	}
	return ls
}

func mutate(rng *rand.Rand, a []string) []string {
	b := append([]string(nil), a...)
	for range 1 + rng.IntN(4) {
		i := rng.IntN(len(b) + 1)
		switch rng.IntN(3) {
		case 0:
			b = append(b[:i], append([]string{"# new " + strconv.Itoa(rng.IntN(3)) + "\n"}, b[i:]...)...)
		case 1:
			if i < len(b) {
				b = append(b[:i], b[i+1:]...)
			}
		case 2:
			if i < len(b) {
				b[i] = "# changed\n"
			}
		}
	}
	if len(b) > 0 && rng.IntN(4) == 0 {
		b[len(b)-1] = strings.TrimSuffix(b[len(b)-1], "\n")
	}
	return b
}

// applyUnified applies a unified diff to a, checking that every context and
// removed line is where the hunk header says.
func applyUnified(a []string, diff string) ([]string, error) {
	if diff == "" {
		return a, nil
	}
	ls := strings.SplitAfter(diff, "\n")
	if len(ls) < 2 || !strings.HasPrefix(ls[0], "--- ") || !strings.HasPrefix(ls[1], "+++ ") {
		return nil, fmt.Errorf("no header")
	}
	var out []string
	pos := 0 // the next line of a not yet copied
	for i := 2; i < len(ls) && ls[i] != ""; {
		var from, fromN, to, toN int
		if _, err := fmt.Sscanf(fullRange(ls[i]), "@@ -%d,%d +%d,%d @@\n", &from, &fromN, &to, &toN); err != nil {
			return nil, fmt.Errorf("hunk header %q: %v", ls[i], err)
		}
		// A range of no lines names the line before it.
		start, bStart := from-1, to-1
		if fromN == 0 {
			start = from
		}
		if toN == 0 {
			bStart = to
		}
		if start < pos || start > len(a) {
			return nil, fmt.Errorf("hunk %q out of order", ls[i])
		}
		out = append(out, a[pos:start]...)
		if len(out) != bStart {
			return nil, fmt.Errorf("hunk %q: B starts at line %d, but %d lines come before", ls[i], bStart+1, len(out))
		}
		pos = start
		nA, nB := 0, 0
		for i++; i < len(ls) && ls[i] != "" && !strings.HasPrefix(ls[i], "@@"); i++ {
			mark, l := ls[i][0], ls[i][1:]
			if i+1 < len(ls) && ls[i+1] == "\\ No newline at end of file\n" {
				l = strings.TrimSuffix(l, "\n")
				i++
			}
			switch mark {
			case ' ', '-':
				if pos >= len(a) || a[pos] != l {
					return nil, fmt.Errorf("line %d of a is not %q", pos+1, l)
				}
				pos++
				nA++
				if mark == ' ' {
					out = append(out, l)
					nB++
				}
			case '+':
				out = append(out, l)
				nB++
			default:
				return nil, fmt.Errorf("bad line %q", ls[i])
			}
		}
		if nA != fromN || nB != toN {
			return nil, fmt.Errorf("hunk -%d,%d +%d,%d holds %d and %d lines", from, fromN, to, toN, nA, nB)
		}
	}
	return append(out, a[pos:]...), nil
}

// fullRange writes "-5" as "-5,1", as diff -u leaves the count 1 out.
func fullRange(h string) string {
	f := strings.Fields(h)
	for i := 1; i <= 2 && i < len(f); i++ {
		if !strings.Contains(f[i], ",") {
			f[i] += ",1"
		}
	}
	return strings.Join(f, " ") + "\n"
}

// TestCompareMemory: two large copies that differ in their first and last
// lines are diffed without copying them (a 70 MB file once took 658 MB): the
// comparison allocates less than half of what the copies hold.
func TestCompareMemory(t *testing.T) {
	var b strings.Builder
	for i := range 200_000 {
		fmt.Fprintf(&b, "guest%d cfhost1 cluster%d cfguest%d 10.%d.%d.%d user1 D0860AB04E1B8FA3\n", i, i/2, i%2, i>>16, i>>8&255, i&255)
	}
	a := b.String()
	other := "# changed\n" + a[strings.IndexByte(a, '\n')+1:] + "# added\n"
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c := Compare(Copy{Name: "a", Data: []byte(a)}, Copy{Name: "b", Data: []byte(other)})
	runtime.ReadMemStats(&after)
	// The []byte conversions above are counted too: take them out.
	used := after.TotalAlloc - before.TotalAlloc - uint64(len(a)+len(other))
	if limit := uint64(len(a)+len(other)) / 2; used > limit {
		t.Errorf("Compare of two %d MB copies allocated %d MB, want at most %d MB", len(a)>>20, used>>20, limit>>20)
	}
	if c.Identical || c.Cut || !strings.Contains(c.Diff, "@@ -1,4 +1,4 @@\n-guest0 ") || !strings.Contains(c.Diff, "+# added\n") {
		t.Errorf("diff:\n%.2000s", c.Diff)
	}
}

// TestCompareCutsALongDiff: copies that differ everywhere still compare as
// different, with a diff cut at MaxDiffSize that says so.
func TestCompareCutsALongDiff(t *testing.T) {
	line := strings.Repeat("x", 70)
	var a, b strings.Builder
	for i := 0; a.Len() < MaxDiffSize; i++ {
		fmt.Fprintf(&a, "# a %d %s\n", i, line)
		fmt.Fprintf(&b, "# b %d %s\n", i, line)
	}
	c := Compare(Copy{Name: "a", Data: []byte(a.String())}, Copy{Name: "b", Data: []byte(b.String())})
	if c.Identical || !c.Cut || len(c.Diff) > MaxDiffSize+1000 || !strings.HasSuffix(c.Diff, "(the diff stops here, after 4194304 bytes; the copies differ further)\n") {
		t.Errorf("identical %v, cut %v, %d bytes of diff ending %q", c.Identical, c.Cut, len(c.Diff), c.Diff[max(0, len(c.Diff)-200):])
	}
}

// TestCompareTooManyLines: a differing region of more than MaxDiffLines
// lines is not split into lines at all; the diff says where it starts.
func TestCompareTooManyLines(t *testing.T) {
	blank := strings.Repeat("\n", MaxDiffLines+1)
	c := Compare(Copy{Name: "a", Data: []byte("# same\n# a\n" + blank + "# a\n")}, Copy{Name: "b", Data: []byte("# same\n# b\n" + blank + "# b\n")})
	want := "--- a\n+++ b\n(the copies differ from line 2 on, in more than 1048576 lines: too many to show as a diff)\n"
	if c.Identical || !c.Cut || c.Diff != want {
		t.Errorf("identical %v, cut %v, diff %q", c.Identical, c.Cut, c.Diff)
	}
}

// TestCompareHugeLines: a line longer than MaxShownLine is shown as one
// fingerprint (its fields are not fingerprinted one by one: a 60 MB line of
// one-letter fields once ran out of memory), and a comment line longer than
// the whole diff may be is cut to fit.
func TestCompareHugeLines(t *testing.T) {
	secret := strings.Repeat("hunter2 ", 1<<17) // 1 MiB of fields
	c := Compare(Copy{Name: "a", Data: []byte("g1 h1 c1 n1 10.0.0.1 root " + secret + "x\n")},
		Copy{Name: "b", Data: []byte("g1 h1 c1 n1 10.0.0.1 root " + secret + "y\n")})
	lines := strings.Split(c.Diff, "\n")
	if len(lines) != 6 || !regexp.MustCompile(`^-<a line of more than 4096 bytes, hmac:[0-9a-f]{8}>$`).MatchString(lines[3]) ||
		lines[3][1:] == lines[4][1:] || strings.Contains(c.Diff, "hunter2") {
		t.Errorf("diff of two long lines:\n%.500s", c.Diff)
	}
	comment := "# " + strings.Repeat("z", MaxDiffSize)
	c = Compare(Copy{Name: "a", Data: []byte("# a\n")}, Copy{Name: "b", Data: []byte(comment + "\n")})
	if !c.Cut || len(c.Diff) > MaxDiffSize+200 || !strings.HasSuffix(c.Diff, "the copies differ further)\n") {
		t.Errorf("a %d-byte comment: cut %v, %d bytes of diff", len(comment), c.Cut, len(c.Diff))
	}
}
