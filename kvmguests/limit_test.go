package kvmguests

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/diag"
)

// TestDiagnosticsAreBounded: past MaxDiagnostics, problems are counted in
// one too-many-problems diagnostic instead of listed (a 60 MB file of broken
// lines once took 14 GB), and the first ones are kept in file order.
func TestDiagnosticsAreBounded(t *testing.T) {
	data := []byte(strings.Repeat("x\n", 3*MaxDiagnostics))
	for name, diags := range map[string]diag.Diagnostics{"Check": check(t, data), "Parse": parse(data)} {
		if len(diags) != MaxDiagnostics+1 {
			t.Fatalf("%s: %d diagnostics, want %d", name, len(diags), MaxDiagnostics+1)
		}
		for i, d := range diags[:MaxDiagnostics] {
			if d.Line != i+1 || d.Code != ErrFieldCount {
				t.Fatalf("%s: diagnostic %d is %v, want field-count on line %d", name, i, d, i+1)
			}
		}
		last := diags[MaxDiagnostics]
		want := "f: error: too-many-problems: 2000 more problems not shown (2000 errors, 0 warnings) after the first 1000; fix those and check again"
		if last.Error() != want || !errors.Is(diags, ErrTooManyProblems) {
			t.Errorf("%s: last = %q, want %q", name, last, want)
		}
	}
}

// TestBoundedDiagnosticsKeepTheVerdict: an error past the limit still makes
// the file wrong, and warnings alone past it do not.
func TestBoundedDiagnosticsKeepTheVerdict(t *testing.T) {
	blanks := strings.Repeat("\n", 2*MaxDiagnostics)
	if ds := check(t, []byte(good+blanks+"x\n")); !ds.HasErrors() || ds[len(ds)-1].Severity != diag.Error {
		t.Errorf("an error after %d warnings: HasErrors %v, last %v", 2*MaxDiagnostics, ds.HasErrors(), ds[len(ds)-1])
	}
	if ds := check(t, []byte(good+blanks)); ds.HasErrors() || ds[len(ds)-1].Code != ErrTooManyProblems || ds[len(ds)-1].Severity != diag.Warning {
		t.Errorf("warnings only: HasErrors %v, last %v", ds.HasErrors(), ds[len(ds)-1])
	}
}

// TestDuplicatesAreBounded: a line repeated many times is reported up to the
// limit too, across chunks.
func TestDuplicatesAreBounded(t *testing.T) {
	data := []byte(strings.Repeat(good, 40_000)) // more than one chunk
	ds := check(t, data)
	if len(ds) != MaxDiagnostics+1 || ds[0].Line != 2 || ds[len(ds)-1].Code != ErrTooManyProblems {
		t.Errorf("%d diagnostics, first %v, last %v", len(ds), ds[0], ds[len(ds)-1])
	}
}

// TestHugeLineCostsLittle: a line of a million fields is counted, not
// split into a million strings.
func TestHugeLineCostsLittle(t *testing.T) {
	line := strings.Repeat("a ", 1<<20) + "a\n"
	data := []byte(line)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ds := check(t, data)
	runtime.ReadMemStats(&after)
	if used := after.TotalAlloc - before.TotalAlloc; used > 4*uint64(len(data))+8<<20 {
		t.Errorf("checking a %d-byte line allocated %d bytes", len(data), used)
	}
	if want := fmt.Sprintf("%d fields, want 7", 1<<20+1); len(ds) != 1 || !strings.HasPrefix(ds[0].Message, want) {
		t.Errorf("diagnostics %v, want %q", ds, want)
	}
}

func check(t *testing.T, data []byte) diag.Diagnostics {
	t.Helper()
	ds, err := Check(strings.NewReader(string(data)), "f", Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func parse(data []byte) diag.Diagnostics {
	_, ds := ParseBytes(data, "f", Options{})
	return ds
}

// TestManyProblemsCostLittle: problems past the limit are counted as they
// are found, not collected and cut afterwards.
func TestManyProblemsCostLittle(t *testing.T) {
	data := []byte(strings.Repeat("x\n", 200_000))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ds := check(t, data)
	runtime.ReadMemStats(&after)
	if used := after.TotalAlloc - before.TotalAlloc; used > 32<<20 { // 11 MB with the limit, 123 MB without
		t.Errorf("checking %d broken lines allocated %d MB", 200_000, used>>20)
	}
	if len(ds) != MaxDiagnostics+1 {
		t.Errorf("%d diagnostics", len(ds))
	}
}

// TestParseGuestsKeepsOnlyGuests: the same guests and problems as Parse,
// but the other lines are not kept, so broken lines cost nothing.
func TestParseGuestsKeepsOnlyGuests(t *testing.T) {
	data := []byte("# c\n\n" + good + "broken\n" + strings.Replace(good, "guest11", "guest12", 1))
	cfg, want, _ := Parse(strings.NewReader(string(data)), "f", Options{})
	guests, diags, err := ParseGuests(strings.NewReader(string(data)), "f", Options{})
	if err != nil || fmt.Sprint(guests) != fmt.Sprint(cfg.Guests()) || len(guests) != 2 || fmt.Sprint(diags) != fmt.Sprint(want) {
		t.Errorf("ParseGuests = %v, %v, %v; Parse %v, %v", guests, diags, err, cfg.Guests(), want)
	}
	broken := strings.NewReader(strings.Repeat("x\n", 1_000_000))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ParseGuests(broken, "f", Options{})
	runtime.ReadMemStats(&after)
	if used := after.TotalAlloc - before.TotalAlloc; used > 64<<20 {
		t.Errorf("a million broken lines: ParseGuests allocated %d MB", used>>20)
	}
}
