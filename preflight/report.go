package preflight

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
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
	// its text as "error", never the Go value.
	Err error `json:"-"`

	index int // of the target within its check (guest or host order)
}

// MarshalJSON writes the result with its error's text as "error".
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	var errText string
	if r.Err != nil {
		errText = r.Err.Error()
	}
	return json.Marshal(struct {
		plain
		Error string `json:"error,omitempty"`
	}{plain(r), errText})
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
	// Buffered: the table writer writes cell by cell, and a site's report
	// of 65,000 rows made as many write calls to the terminal or file.
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := r.writeText(bw); err != nil {
		return err
	}
	return bw.Flush()
}

func (r Report) writeText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tCHECK\tTARGET\tSTATUS\tREASON")
	for _, x := range r.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", x.Step, x.Title, x.Target, x.Status, oneLine(x.Reason))
		if x.Fix != "" && (x.Status == Fail || x.Status == Warn) {
			fmt.Fprintf(tw, "\t\t\t\t  fix: %s\n", oneLine(x.Fix))
		}
		if x.Detail != "" {
			if err := tw.Flush(); err != nil {
				return err
			}
			for _, l := range strings.Split(strings.TrimRight(x.Detail, "\n"), "\n") {
				fmt.Fprintf(w, "      | %s\n", l)
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	c := r.Counts
	_, err := fmt.Fprintf(w, "preflight: %d OK, %d WARN, %d FAIL, %d SKIP\n", c.OK, c.Warn, c.Fail, c.Skip)
	return err
}

// oneLine keeps a table cell on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
