package preflight

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/sfkvm/sfkvm/internal/jsonwire"
	"github.com/sfkvm/sfkvm/internal/table"
)

// Schema names the JSON form of a Report; it changes only when a field is
// renamed or removed, or its meaning changes (see the package doc).
const Schema = "sfkvm.preflight/v1"

// Status is a result's outcome. Its words are part of the JSON contract.
type Status string

const (
	OK   Status = "OK"   // the check held
	Warn Status = "WARN" // it held, with something to look at (Fix says what)
	Fail Status = "FAIL" // it did not hold; Fix says what to do
	Skip Status = "SKIP" // it could not run; Reason says why (never a silent pass)
)

// Statuses returns the four statuses in the order reports count them.
func Statuses() []Status { return []Status{OK, Warn, Fail, Skip} }

// Severity orders statuses from best to worst: OK 0, SKIP 1, WARN 2,
// FAIL 3 (a word that is none of them counts as OK). Where two results
// must become one (one series of a metric), the more severe one is kept.
func (s Status) Severity() int {
	switch s {
	case Fail:
		return 3
	case Warn:
		return 2
	case Skip:
		return 1
	}
	return 0
}

// Result is one check on one target.
type Result struct {
	Check  ID     `json:"check"`  // the check's stable ID
	Step   Step   `json:"step"`   // the manual's step it guards
	Title  string `json:"title"`  // the check's short title
	Target string `json:"target"` // the guest, host or file checked
	Status Status `json:"status"`
	Reason string `json:"reason"`           // why this status, in one line
	Fix    string `json:"fix,omitempty"`    // what to do, for FAIL and WARN
	Detail string `json:"detail,omitempty"` // several lines: a diff, a tool's output
	// Err is the typed error behind a FAIL or SKIP where there is one
	// (errors.Is(r.Err, sshcheck.ErrSudoNeedsPassword), ...). JSON carries
	// its text as "error", never the Go value; a decoded Result's Err has
	// that text as its Error().
	Err error `json:"-"`

	index int // of the target within its check (guest or host order)
}

// wireResult is a Result as JSON: its error as text.
type wireResult struct {
	Check  ID     `json:"check"`
	Step   Step   `json:"step"`
	Title  string `json:"title"`
	Target string `json:"target"`
	Status Status `json:"status"`
	Reason string `json:"reason"`
	Fix    string `json:"fix,omitempty"`
	Detail string `json:"detail,omitempty"`
	Error  string `json:"error,omitempty"`
}

// MarshalJSON writes the result with its error's text as "error", with no
// HTML escaping.
func (r Result) MarshalJSON() ([]byte, error) {
	return jsonwire.Marshal(wireResult{r.Check, r.Step, r.Title, r.Target, r.Status, r.Reason, r.Fix, r.Detail, jsonwire.ErrText(r.Err)})
}

// UnmarshalJSON reads what MarshalJSON writes: "error" becomes an Err
// whose Error() is that text (the Go value, and what errors.Is would
// match, stay with the process that made the report).
func (r *Result) UnmarshalJSON(b []byte) error {
	var w wireResult
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = Result{Check: w.Check, Step: w.Step, Title: w.Title, Target: w.Target, Status: w.Status,
		Reason: w.Reason, Fix: w.Fix, Detail: w.Detail, Err: jsonwire.Err(w.Error)}
	return nil
}

// Counts are the results per status.
type Counts struct {
	OK   int `json:"ok"`
	Warn int `json:"warn"`
	Fail int `json:"fail"`
	Skip int `json:"skip"`
}

// Of returns the count of status s.
func (c Counts) Of(s Status) int {
	return map[Status]int{OK: c.OK, Warn: c.Warn, Fail: c.Fail, Skip: c.Skip}[s]
}

// Report is what Run returns: every result, in the order of Checks, then
// of the targets (guests in file order, hosts in the order given).
type Report struct {
	Schema  string   `json:"schema"` // Schema
	Results []Result `json:"results"`
	Counts  Counts   `json:"counts"`
	// Started and Finished are when Run began and ended, by Config.Now
	// (left out of JSON when zero, in a report not made by Run).
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	// ConfSHA256 is the SHA-256 of the kvmguests.conf checked, in hex;
	// empty when the guests were given or the file could not be read. The
	// next run's Config.PreviousConfSHA256, for conf.changed.
	ConfSHA256 string `json:"conf_sha256,omitempty"`
}

// Duration is how long the run took.
func (r Report) Duration() time.Duration { return r.Finished.Sub(r.Started) }

// MarshalJSON writes the report with no HTML escaping, and, when it has
// both times, "duration_seconds": Duration in seconds (read back as the
// difference of the two, so it is not a field of Report).
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report
	return jsonwire.Marshal(struct {
		plain
		DurationSeconds *float64 `json:"duration_seconds,omitempty"`
	}{plain(r), jsonwire.Seconds(r.Started, r.Finished)})
}

// newReport counts the results.
func newReport(results []Result) Report {
	r := Report{Schema: Schema, Results: results}
	if r.Results == nil {
		r.Results = []Result{}
	}
	for _, x := range results {
		switch x.Status {
		case OK:
			r.Counts.OK++
		case Warn:
			r.Counts.Warn++
		case Fail:
			r.Counts.Fail++
		case Skip:
			r.Counts.Skip++
		}
	}
	return r
}

// Failed reports whether any result is a FAIL.
func (r Report) Failed() bool { return r.Counts.Fail > 0 }

// Of returns the results of one check.
func (r Report) Of(id ID) []Result { return only(id, r.Results) }

// WriteText writes the report as a table: one line per result (step,
// title, target, status, reason), under a FAIL or WARN what to do, then
// any detail indented, and a last line with the counts.
func (r Report) WriteText(w io.Writer) error {
	rows := make([]table.Row, len(r.Results))
	for i, x := range r.Results {
		rows[i] = table.Row{Cells: []string{string(x.Step), x.Title, x.Target, string(x.Status), table.OneLine(x.Reason)}, Detail: x.Detail}
		if x.Status == Fail || x.Status == Warn {
			rows[i].Fix = table.OneLine(x.Fix)
		}
	}
	c := r.Counts
	return table.Write(w, []string{"STEP", "CHECK", "TARGET", "STATUS", "REASON"}, rows,
		fmt.Sprintf("preflight: %d OK, %d WARN, %d FAIL, %d SKIP", c.OK, c.Warn, c.Fail, c.Skip))
}
