package site

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/preflight"
)

// rows makes a report of n rows of status st, with counts as given.
func rows(n int, st, row, counts string) string {
	var b strings.Builder
	b.WriteString(`{"schema":"sfkvm.preflight/v1","results":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		q, _ := json.Marshal(st)
		fmt.Fprintf(&b, `{"check":"guest.login","target":"g%d","status":%s%s}`, i, q, row)
	}
	b.WriteString(`],"counts":` + counts + `}`)
	return b.String()
}

// okRows is a report of n rows as short as a row can be.
func okRows(n int) string {
	return `{"schema":"sfkvm.preflight/v1","results":[` + strings.Repeat(`{"status":"OK"},`, n-1) + `{"status":"OK"}],"counts":{"ok":` + fmt.Sprint(n) + `}}`
}

// TestDecodeRefuses: what a host's report may not be, and the reason its
// site.host row gives. Each is refused whole, never shown in part.
func TestDecodeRefuses(t *testing.T) {
	big := strings.Repeat("x", MaxReportValue+1)
	for _, tc := range []struct {
		name, report string
		want         error
		words        string
	}{
		{"too many rows", okRows(MaxReportRows + 1), ErrReportLimit, "more than 100000 rows"},
		{"long field", `{"schema":"sfkvm.preflight/v1","results":[{"status":"OK","reason":"` + big + `"}],"counts":{"ok":1}}`, ErrReportLimit, "a value of more than 262144 bytes at byte 66"},
		{"long unknown field", `{"schema":"sfkvm.preflight/v1","x":"` + big + `"}`, ErrReportLimit, "a value of more than"},
		{"white space", `{"schema":"sfkvm.preflight/v1",` + strings.Repeat(" ", MaxReportValue+1) + `"results":[]}`, ErrReportLimit, "a value of more than"},
		{"deep", `{"schema":"sfkvm.preflight/v1","x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, ErrReportLimit, "nested more than 32 deep"},
		{"long row", `{"schema":"sfkvm.preflight/v1","results":[{"status":"OK"` + strings.Repeat(`,"a":"`+strings.Repeat("a", 200<<10)+`"`, 21) + `}]}`, ErrReportLimit, "a row of more than 4194304 bytes at byte 42"},
		{"long nested row", `{"schema":"sfkvm.preflight/v1","results":[{"status":"OK","a":[` + strings.Repeat("0,", 3<<20) + `0]}]}`, ErrReportLimit, "a row of more than 4194304 bytes"},
		{"null row", `{"schema":"sfkvm.preflight/v1","results":[null],"counts":{}}`, ErrReportInvalid, `row 1: status ""`},
		// Text as kept: each byte that is not UTF-8 becomes U+FFFD, 3 bytes,
		// so 22 KiB sent fill a detail's 64 KiB.
		{"much text", rows(300, "OK", `,"detail":"`+strings.Repeat("\xff", 22<<10)+`"`, `{"ok":300}`), ErrReportLimit, "more than 16777216 bytes of text by row 256"},
		{"status with a space", rows(1, "FAIL ", "", `{"fail":1}`), ErrReportInvalid, `row 1: status "FAIL " is none of OK, WARN, FAIL, SKIP`},
		{"status in lower case", rows(1, "fail", "", `{"fail":1}`), ErrReportInvalid, `status "fail"`},
		{"status escape", rows(1, "\x1b[31mFAIL", "", `{"fail":1}`), ErrReportInvalid, `status "\x1b[31mFAIL"`},
		{"no status", `{"schema":"sfkvm.preflight/v1","results":[{}],"counts":{}}`, ErrReportInvalid, `row 1: status ""`},
		{"negative count", rows(0, "OK", "", `{"ok":-5}`), ErrReportInvalid, `counts.ok is "-5"`},
		{"huge count", rows(0, "OK", "", `{"fail":9223372036854775807}`), ErrReportInvalid, `counts.fail is "9223372036854775807"`},
		{"fraction", rows(0, "OK", "", `{"skip":1.5}`), ErrReportInvalid, `counts.skip is "1.5"`},
		{"count as text", rows(1, "OK", "", `{"ok":"1"}`), ErrReportInvalid, `counts.ok is "1"`},
		{"counts disagree", rows(2, "FAIL", "", `{"fail":1,"ok":1}`), ErrReportInvalid, "its counts say 1 OK, 0 WARN, 1 FAIL, 0 SKIP; its rows are 0 OK, 0 WARN, 2 FAIL, 0 SKIP"},
		{"no counts", rows(1, "FAIL", "", `{}`), ErrReportInvalid, "its rows are 0 OK, 0 WARN, 1 FAIL"},
		{"reason not text", rows(1, "OK", `,"reason":{"a":1}`, `{"ok":1}`), ErrNotReport, "row 1 reason is an object, not a string"},
		{"row not object", `{"schema":"sfkvm.preflight/v1","results":[1]}`, ErrNotReport, "row 1 is a number, not an object"},
		{"after the report", rows(0, "OK", "", `{}`) + `{}`, ErrNotReport, "more after the report"},
		{"cut short", `{"schema":"sfkvm.preflight/v1","results":[`, ErrNotReport, "unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := decodeReport(context.Background(), []byte(tc.report))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.words) {
				t.Errorf("got %v, want %v saying %q", err, tc.want, tc.words)
			}
			if r != nil {
				t.Errorf("a refused report gave %d rows", len(r.Results))
			}
			if err != nil && len(err.Error()) > 1000 {
				t.Errorf("a reason of %d bytes", len(err.Error()))
			}
		})
	}
}

// TestDecodeKeeps: a report within the caps is read whole: unknown fields
// and values skipped however nested, texts escaped and cut, a "host" of
// the row's own not read, rows at the caps kept.
func TestDecodeKeeps(t *testing.T) {
	in := `{"schema":"sfkvm.preflight/v1","started":"2026-01-01T00:00:00Z","future":{"a":[1,{"b":null}]},` +
		`"results":[{"host":"h9","check":"guest.login","step":"1.5","title":"login","target":"g\u001b[2J",` +
		`"status":"FAIL","reason":"` + strings.Repeat("r", 3000) + `","fix":null,"new":[true],"detail":"a\nb\u009b"},` +
		`{"check":"guest.sudo","status":"OK"}],"counts":{"ok":1,"fail":1,"warn":0,"skip":0,"other":7}}`
	r, err := decodeReport(context.Background(), []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Results) != 2 || r.Counts != (preflight.Counts{OK: 1, Fail: 1}) {
		t.Fatalf("%+v", r)
	}
	x := r.Results[0]
	if x.Host != "" || x.Target != `g\x1b[2J` || x.Detail != "a\nb\\u009b" || len(x.Reason) != 2000+len(" (cut)") || x.Fix != "" || x.Step != "1.5" {
		t.Errorf("row 1: %+v", x)
	}
	max, err := decodeReport(context.Background(), []byte(okRows(MaxReportRows)))
	if err != nil || len(max.Results) != MaxReportRows {
		t.Errorf("a report of MaxReportRows: %v", err)
	}
}

// TestDecodeStopsWithContext: a report that takes long to walk (millions
// of small values to skip) stops when the host's time is up.
func TestDecodeStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, in := range []string{
		`{"schema":"sfkvm.preflight/v1","x":[` + strings.Repeat("0,", 100_000) + `0]}`,
		rows(5000, "OK", "", `{"ok":5000}`),
	} {
		if _, err := decodeReport(ctx, []byte(in)); !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want it stopped", err)
		}
	}
}

// TestDecodeReadsPreflightsOwnJSON: what preflight.Report marshals to
// (its times, duration_seconds, conf_sha256, errors as text, text that
// is not HTML-escaped) is read row for row.
func TestDecodeReadsPreflightsOwnJSON(t *testing.T) {
	start := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	rep := preflight.Report{Schema: preflight.Schema, Started: start, Finished: start.Add(1500 * time.Millisecond), ConfSHA256: "aa",
		Results: []preflight.Result{
			{Check: "guest.login", Step: "1.5", Title: "login", Target: "guest11 192.0.2.11", Status: preflight.Fail,
				Reason: "refused <token hmac:1a>", Fix: "a & b", Err: errors.New("ssh: <refused>")},
			{Check: "conf.syntax", Step: "1.4", Title: "syntax", Target: "/etc/k.conf", Status: preflight.OK, Reason: "ok"},
		},
		Counts: preflight.Counts{OK: 1, Fail: 1}}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"duration_seconds":1.5`) {
		t.Fatalf("no duration_seconds in %s", b)
	}
	got, err := decodeReport(context.Background(), b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if len(got.Results) != 2 || got.Counts != rep.Counts {
		t.Fatalf("read %+v", got)
	}
	if r := got.Results[0]; r.Check != "guest.login" || r.Error != "ssh: <refused>" || r.Reason != "refused <token hmac:1a>" || r.Fix != "a & b" {
		t.Errorf("row 1 read as %+v", r)
	}
}
