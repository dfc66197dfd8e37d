package site

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sfkvm/sfkvm/preflight"
)

// Schema names the JSON form of a Report. It changes only when a field is
// renamed or removed or its meaning changes (see the package doc); within
// v1, new checks, hosts' new preflight checks and new fields may appear.
const Schema = "sfkvm.site/v1"

// Result is one row of the site report: a site check (Host is empty) or
// one result of a host's own preflight (Host names that host). Its fields
// are preflight.Result's, with the error as text: the report of a host
// arrives as JSON.
type Result struct {
	Host   string           `json:"host"` // the host whose preflight gave it; "" for a site check
	Check  preflight.ID     `json:"check"`
	Step   preflight.Step   `json:"step"`
	Title  string           `json:"title"`
	Target string           `json:"target"`
	Status preflight.Status `json:"status"`
	Reason string           `json:"reason"`
	Fix    string           `json:"fix,omitempty"`
	Detail string           `json:"detail,omitempty"`
	Error  string           `json:"error,omitempty"`
}

// Host is what the site run learnt of one host.
type Host struct {
	Name    string `json:"name"`    // Target.Name, or its address
	Address string `json:"address"` // host:port dialled
	// Status is OK when the host was reached and its preflight gave a
	// report (whatever that report says), FAIL otherwise; Reason says why.
	Status preflight.Status `json:"status"`
	Reason string           `json:"reason"`
	// CFName and WeightLink ("on" or "off") are from the host's
	// information file; empty when it could not be read.
	CFName     string `json:"cfname,omitempty"`
	WeightLink string `json:"weight_link,omitempty"`
	// ConfSHA256 is the SHA-256 of its kvmguests.conf; HostInfoSHA256 of
	// its host information file; empty when not read.
	ConfSHA256     string `json:"conf_sha256,omitempty"`
	HostInfoSHA256 string `json:"hostinfo_sha256,omitempty"`
	// Counts are those of its preflight report, when it gave one.
	Counts *preflight.Counts `json:"counts,omitempty"`
	// Seconds is how long the host took, from the login to the last read.
	Seconds float64 `json:"seconds"`
}

// Report is what Run returns: the hosts in the order given, then every
// row: the site checks first (in the order of Checks), then each host's
// preflight results, host by host.
type Report struct {
	Schema   string           `json:"schema"`
	Hosts    []Host           `json:"hosts"`
	Results  []Result         `json:"results"`
	Counts   preflight.Counts `json:"counts"`
	Started  time.Time        `json:"started,omitzero"`
	Finished time.Time        `json:"finished,omitzero"`
}

// Failed reports whether any row is a FAIL.
func (r Report) Failed() bool { return r.Counts.Fail > 0 }

// Of returns the rows of one check, site or host.
func (r Report) Of(id preflight.ID) []Result {
	var out []Result
	for _, x := range r.Results {
		if x.Check == id {
			out = append(out, x)
		}
	}
	return out
}

// Duration is how long the run took.
func (r Report) Duration() time.Duration { return r.Finished.Sub(r.Started) }

func (r *Report) count() {
	r.Counts = preflight.Counts{}
	for _, x := range r.Results {
		switch x.Status {
		case preflight.OK:
			r.Counts.OK++
		case preflight.Warn:
			r.Counts.Warn++
		case preflight.Fail:
			r.Counts.Fail++
		case preflight.Skip:
			r.Counts.Skip++
		}
	}
}

// WriteText writes the report as preflight's table with a HOST column
// ("site" for the site checks), then a line with the hosts reached and
// the counts.
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
	fmt.Fprintln(tw, "HOST\tSTEP\tCHECK\tTARGET\tSTATUS\tREASON")
	for _, x := range r.Results {
		host, step := x.Host, string(x.Step)
		if host == "" {
			host = "site"
		}
		if step == "" {
			step = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", oneLine(host), step, oneLine(x.Title), oneLine(x.Target), x.Status, oneLine(x.Reason))
		if x.Fix != "" && (x.Status == preflight.Fail || x.Status == preflight.Warn) {
			fmt.Fprintf(tw, "\t\t\t\t\t  fix: %s\n", oneLine(x.Fix))
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
	reached := 0
	for _, h := range r.Hosts {
		if h.Status == preflight.OK {
			reached++
		}
	}
	c := r.Counts
	_, err := fmt.Fprintf(w, "site: %d of %d hosts reached; %d OK, %d WARN, %d FAIL, %d SKIP\n",
		reached, len(r.Hosts), c.OK, c.Warn, c.Fail, c.Skip)
	return err
}

// oneLine keeps a table cell on one line; text from a host is escaped
// before it gets here.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
