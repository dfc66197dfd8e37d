package site

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/sfkvm/sfkvm/internal/termtext"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// Caps on one host's preflight report, besides Config.MaxReport on its
// bytes. The report is read row by row, so what it costs is what is kept
// of it: unmarshalled whole, 60 MiB of empty rows ({},{},...) made 20
// million structs and gigabytes of memory. A report over a cap is refused
// (its site.host row FAILs naming the cap), never cut and shown in part.
const (
	// MaxReportRows is how many rows one host's report may hold.
	// preflight writes about 7 rows a guest, and one more a guest for
	// each host of its --hosts: a site of 1,000 guests on 16 hosts makes
	// about 23,000.
	MaxReportRows = 100_000
	// MaxReportValue is how many bytes one JSON value of a report may
	// take as sent: a string with its escapes, or a number, with the
	// white space around it. A row's longest field, its detail, is kept
	// to 64 KiB anyway.
	MaxReportValue = 256 << 10
	// MaxReportText is how many bytes of text the rows of one host's
	// report may keep, after escaping and the cut of each field.
	MaxReportText = 16 << 20
	// MaxReportRow is how many bytes one row may take as sent (and any
	// object or array nested as deep as a row): a row is decoded whole.
	MaxReportRow = 4 << 20
	// maxReportDepth bounds nesting: the report needs 3 levels, and
	// encoding/json's Decoder keeps a stack entry for each open one.
	maxReportDepth = 32
)

// More reasons a host's report is refused (see ErrNotReport).
var (
	// ErrReportLimit: the report is over MaxReportRows, MaxReportValue,
	// MaxReportRow, MaxReportText, or nested too deep; the error names
	// the cap.
	ErrReportLimit = errors.New("report over a limit")
	// ErrReportInvalid: the report does not add up: a status that is
	// none of OK, WARN, FAIL, SKIP (exactly), a count that is negative or
	// not a whole number, or counts that are not those of its rows.
	ErrReportInvalid = errors.New("report does not add up")
)

// hostReport is what is kept of a host's preflight report.
type hostReport struct {
	Results []Result
	Counts  preflight.Counts
}

// decodeReport reads a host's preflight JSON row by row (each row whole,
// what lies around the rows token by token), refusing anything but
// preflight.Schema, a report over the caps, or one whose statuses and
// counts do not add up; every text it keeps is made safe to print. It
// stops when ctx ends.
func decodeReport(ctx context.Context, b []byte) (*hostReport, error) {
	if err := prescan(b); err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	rd := &reportReader{ctx: ctx, d: d, b: b}
	r, err := rd.report()
	if err != nil {
		return nil, err
	}
	var tally preflight.Counts
	for _, x := range r.Results {
		switch x.Status {
		case preflight.OK:
			tally.OK++
		case preflight.Warn:
			tally.Warn++
		case preflight.Fail:
			tally.Fail++
		case preflight.Skip:
			tally.Skip++
		}
	}
	if tally != r.Counts {
		c := r.Counts
		return nil, fmt.Errorf("%w: its counts say %d OK, %d WARN, %d FAIL, %d SKIP; its rows are %d OK, %d WARN, %d FAIL, %d SKIP",
			ErrReportInvalid, c.OK, c.Warn, c.Fail, c.Skip, tally.OK, tally.Warn, tally.Fail, tally.Skip)
	}
	return r, nil
}

// reportReader walks one report's tokens.
type reportReader struct {
	ctx    context.Context
	d      *json.Decoder
	b      []byte
	tokens int // read so far, to look at ctx now and then
	text   int // bytes of text kept
}

// token returns the next token; broken JSON is ErrNotReport.
func (rd *reportReader) token() (json.Token, error) {
	if rd.tokens++; rd.tokens%4096 == 0 && rd.ctx.Err() != nil {
		return nil, fmt.Errorf("reading the report stopped at the host's timeout: %w", rd.ctx.Err())
	}
	t, err := rd.d.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("%w: %v; stdout began %s", ErrNotReport, err, sshcheck.QuoteRemote(first(rd.b, 80)))
	}
	return t, nil
}

// notReport says what is not where it belongs.
func (rd *reportReader) notReport(format string, a ...any) error {
	return fmt.Errorf("%w: %s (at byte %d)", ErrNotReport, fmt.Sprintf(format, a...), rd.d.InputOffset())
}

// open reads the opening delimiter of an object or array; a null is
// found false.
func (rd *reportReader) open(what string, delim json.Delim) (found bool, err error) {
	t, err := rd.token()
	switch {
	case err != nil:
		return false, err
	case t == nil:
		return false, nil
	case t != delim:
		return false, rd.notReport("%s is not %s", what, map[json.Delim]string{'{': "an object", '[': "an array"}[delim])
	}
	return true, nil
}

// close reads the closing delimiter that must follow the last member.
func (rd *reportReader) close() error {
	_, err := rd.token()
	return err
}

// key reads a member's name.
func (rd *reportReader) key() (string, error) {
	t, err := rd.token()
	if err != nil {
		return "", err
	}
	k, _ := t.(string)
	return k, nil
}

// str reads a string value; null is "".
func (rd *reportReader) str(what string) (string, error) {
	t, err := rd.token()
	if err != nil {
		return "", err
	}
	switch v := t.(type) {
	case string:
		return v, nil
	case nil:
		return "", nil
	case json.Delim:
		if err := rd.skipRest(v); err != nil {
			return "", err
		}
	}
	return "", rd.notReport("%s is not a string", what)
}

// skip reads past one value, however nested, keeping nothing.
func (rd *reportReader) skip() error {
	t, err := rd.token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); ok {
		return rd.skipRest(d)
	}
	return nil
}

// skipRest reads past the rest of the object or array that d opened.
func (rd *reportReader) skipRest(d json.Delim) error {
	if d != '{' && d != '[' {
		return nil
	}
	for depth := 1; depth > 0; {
		t, err := rd.token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// report reads the top-level object.
func (rd *reportReader) report() (*hostReport, error) {
	if ok, err := rd.open("the report", '{'); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("%w: null", ErrNotReport)
		}
		return nil, err
	}
	r := &hostReport{}
	sawSchema := false
	for rd.d.More() {
		k, err := rd.key()
		if err != nil {
			return nil, err
		}
		switch k {
		case "schema":
			s, err := rd.str(`"schema"`)
			if err != nil {
				return nil, err
			}
			if s != preflight.Schema {
				return nil, fmt.Errorf("%w: %s, where this sfkvm reads %s: run the same sfkvm on every host",
					ErrSchema, strconv.Quote(clean(s, 80, false)), preflight.Schema)
			}
			sawSchema = true
		case "results":
			err = rd.results(r)
		case "counts":
			err = rd.counts(&r.Counts)
		default:
			err = rd.skip()
		}
		if err != nil {
			return nil, err
		}
	}
	if err := rd.close(); err != nil {
		return nil, err
	}
	if !sawSchema {
		return nil, fmt.Errorf("%w: no \"schema\" field", ErrNotReport)
	}
	if _, err := rd.d.Token(); err != io.EOF {
		return nil, rd.notReport("more after the report")
	}
	return r, nil
}

// results reads the rows, at most MaxReportRows.
func (rd *reportReader) results(r *hostReport) error {
	if ok, err := rd.open(`"results"`, '['); err != nil || !ok {
		return err
	}
	for rd.d.More() {
		if len(r.Results) == MaxReportRows {
			return fmt.Errorf("%w: more than %d rows", ErrReportLimit, MaxReportRows)
		}
		if len(r.Results)%4096 == 4095 && rd.ctx.Err() != nil {
			return fmt.Errorf("reading the report stopped at the host's timeout: %w", rd.ctx.Err())
		}
		x, err := rd.row(len(r.Results) + 1)
		if err != nil {
			return err
		}
		r.Results = append(r.Results, x)
	}
	return rd.close()
}

// wireRow is a row as sent; what it does not name ("host", new fields)
// is skipped by the Decoder.
type wireRow struct {
	Check  string `json:"check"`
	Step   string `json:"step"`
	Title  string `json:"title"`
	Target string `json:"target"`
	Status string `json:"status"`
	Reason string `json:"reason"`
	Fix    string `json:"fix"`
	Detail string `json:"detail"`
	Error  string `json:"error"`
}

// kinds names the JSON kinds of UnmarshalTypeError.Value in a message.
var kinds = map[string]string{"object": "an object", "array": "an array", "number": "a number", "bool": "true or false", "string": "a string"}

// row reads one row, n counted from 1, whole (prescan bounded it to
// MaxReportRow): its texts made safe and cut, its status exactly one of
// preflight's. A "host" the row names is not read: a row belongs to the
// host it came from (gather sets Host).
func (rd *reportReader) row(n int) (Result, error) {
	var w wireRow
	if err := rd.d.Decode(&w); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			what, want := fmt.Sprintf("row %d", n), "an object"
			if te.Field != "" {
				what, want = fmt.Sprintf("row %d %s", n, clean(te.Field, 40, false)), "a string"
			}
			got := kinds[te.Value]
			if got == "" {
				got = "of another kind"
			}
			return Result{}, rd.notReport("%s is %s, not %s", what, got, want)
		}
		return Result{}, fmt.Errorf("%w: row %d: %v", ErrNotReport, n, err)
	}
	x := Result{Check: preflight.ID(clean(w.Check, 100, false)), Step: preflight.Step(clean(w.Step, 10, false)),
		Title: clean(w.Title, 200, false), Target: clean(w.Target, 300, false), Status: preflight.Status(w.Status),
		Reason: clean(w.Reason, 2000, false), Fix: clean(w.Fix, 2000, false), Error: clean(w.Error, 2000, false),
		Detail: clean(w.Detail, 64<<10, true)}
	if rd.text += len(x.Check) + len(x.Step) + len(x.Title) + len(x.Target) + len(x.Reason) + len(x.Fix) + len(x.Error) + len(x.Detail); rd.text > MaxReportText {
		return x, fmt.Errorf("%w: more than %d bytes of text by row %d", ErrReportLimit, MaxReportText, n)
	}
	switch x.Status {
	case preflight.OK, preflight.Warn, preflight.Fail, preflight.Skip:
	default:
		s, _ := termtext.CutAt(w.Status, 20)
		return x, fmt.Errorf("%w: row %d: status %s is none of OK, WARN, FAIL, SKIP", ErrReportInvalid, n, strconv.Quote(s))
	}
	return x, nil
}

// counts reads the report's counts: whole numbers from 0 to
// MaxReportRows (the rows they count are capped there).
func (rd *reportReader) counts(c *preflight.Counts) error {
	if ok, err := rd.open(`"counts"`, '{'); err != nil || !ok {
		return err
	}
	for rd.d.More() {
		k, err := rd.key()
		if err != nil {
			return err
		}
		dst := map[string]*int{"ok": &c.OK, "warn": &c.Warn, "fail": &c.Fail, "skip": &c.Skip}[k]
		if dst == nil {
			if err := rd.skip(); err != nil {
				return err
			}
			continue
		}
		t, err := rd.token()
		if err != nil {
			return err
		}
		num, _ := t.(json.Number)
		v, err := strconv.ParseInt(string(num), 10, 64)
		if err != nil || v < 0 || v > MaxReportRows {
			if d, ok := t.(json.Delim); ok {
				if err := rd.skipRest(d); err != nil {
					return err
				}
			}
			s, _ := termtext.CutAt(fmt.Sprint(t), 24)
			return fmt.Errorf("%w: counts.%s is %s, not a count from 0 to %d", ErrReportInvalid, k, strconv.Quote(s), MaxReportRows)
		}
		*dst = int(v)
	}
	return rd.close()
}
