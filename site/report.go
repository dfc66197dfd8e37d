package site

import (
	"fmt"
	"io"
	"time"

	"github.com/sfkvm/sfkvm/internal/count"
	"github.com/sfkvm/sfkvm/internal/jsonwire"
	"github.com/sfkvm/sfkvm/internal/table"
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
	// Seconds is how long the host took, from the login to the last read
	// ("duration_seconds" in JSON).
	Seconds float64 `json:"duration_seconds"`
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
	rows := make([]table.Row, len(r.Results))
	for i, x := range r.Results {
		host, step := x.Host, string(x.Step)
		if host == "" {
			host = "site"
		}
		if step == "" {
			step = "-"
		}
		// Text from a host is escaped before it gets here.
		rows[i] = table.Row{Cells: []string{table.OneLine(host), step, table.OneLine(x.Title), table.OneLine(x.Target), string(x.Status), table.OneLine(x.Reason)}, Detail: x.Detail}
		if x.Status == preflight.Fail || x.Status == preflight.Warn {
			rows[i].Fix = table.OneLine(x.Fix)
		}
	}
	reached := 0
	for _, h := range r.Hosts {
		if h.Status == preflight.OK {
			reached++
		}
	}
	c := r.Counts
	return table.Write(w, []string{"HOST", "STEP", "CHECK", "TARGET", "STATUS", "REASON"}, rows,
		fmt.Sprintf("site: %d of %s reached; %d OK, %d WARN, %d FAIL, %d SKIP", reached, count.N(len(r.Hosts), "host", "hosts"), c.OK, c.Warn, c.Fail, c.Skip))
}
