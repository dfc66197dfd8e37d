package enroll

import (
	"encoding/json"
	"fmt"

	"github.com/sfkvm/sfkvm/internal/jsonwire"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/rotate"
)

// The JSON forms of a Report: what `sfkvm enroll` (a Report of Run) and
// `sfkvm unenroll` (a Report of Remove) print with --format=json. Within
// v1 fields may be added; a renamed or removed field or a changed state
// word makes v2.
const (
	Schema       = "sfkvm.enroll/v1"
	RemoveSchema = "sfkvm.unenroll/v1"
)

// MarshalJSON gives the report as one object (see the package doc for an
// example): Schema, or RemoveSchema when Command is "unenroll";
// snake_case keys; "ok" is !Failed() and "changed" Changed(); errors as
// their text in "error"; the run's wall time in "elapsed_seconds". Empty
// strings and lists are left out, except "steps"; nothing is
// HTML-escaped, and bytes that are not UTF-8 are written \xNN.
func (r Report) MarshalJSON() ([]byte, error) { return jsonwire.Marshal(r.wire()) }

// wire is r's wire form (also a BatchReport's guest, without "schema").
func (r Report) wire() wireReport {
	out := wireReport{Schema: r.schema(), DryRun: r.DryRun, OK: !r.Failed(), Changed: r.Changed(),
		Address: r.Address, User: jsonwire.Text(r.User), UUID: r.UUID, Host: jsonwire.Text(r.Host), GuestKey: r.GuestKey,
		Line: jsonwire.Text(r.Line), Diff: jsonwire.Text(r.Diff), SudoersFile: jsonwire.Text(r.SudoersFile), Sudoers: jsonwire.Text(r.Sudoers),
		Steps: []wireStep{}, Resume: r.Resume, Next: r.Next, Err: errText(r.Err), Seconds: r.Seconds}
	for k, f := range r.facts() {
		if f.Value != "" {
			if out.Facts == nil {
				out.Facts = map[string]wireFact{}
			}
			out.Facts[k] = wireFact{jsonwire.Text(f.Value), jsonwire.Text(f.Source)}
		}
	}
	for _, s := range r.Steps {
		out.Steps = append(out.Steps, wireStep{s.Name, s.State, jsonwire.Text(s.Detail), errText(s.Err)})
	}
	for _, h := range r.Hosts {
		out.Hosts = append(out.Hosts, wireHost{jsonwire.Text(h.Host), jsonwire.Text(h.File), h.Holds, h.Hash, h.Wrote, errText(h.Err)})
	}
	for _, n := range r.Notes {
		out.Notes = append(out.Notes, jsonwire.Text(n))
	}
	for _, a := range r.HostAddresses {
		out.HostAddresses = append(out.HostAddresses, wireAddress{jsonwire.Text(a.Host), jsonwire.Text(a.Address), jsonwire.Text(a.Source)})
	}
	for _, h := range r.Preflight {
		w := wireCheck{Host: jsonwire.Text(h.Host), Counts: h.Counts, Left: []string{}, Err: errText(h.Err)}
		for _, l := range h.Left {
			w.Left = append(w.Left, jsonwire.Text(l))
		}
		out.Preflight = append(out.Preflight, w)
	}
	return out
}

// UnmarshalJSON reads what MarshalJSON writes. Each "error" becomes an
// error whose Error() is that text; "ok" and "changed" are not read
// (Failed and Changed derive them); a schema other than Schema and
// RemoveSchema is refused.
func (r *Report) UnmarshalJSON(b []byte) error {
	var w wireReport
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	out := Report{Command: "enroll", DryRun: w.DryRun, Address: w.Address, User: w.User, UUID: w.UUID, Host: w.Host,
		GuestKey: w.GuestKey, Line: w.Line, Diff: w.Diff, SudoersFile: w.SudoersFile, Sudoers: w.Sudoers,
		Resume: w.Resume, Next: w.Next, Notes: w.Notes, Seconds: w.Seconds, Err: jsonwire.Err(w.Err)}
	switch w.Schema {
	case Schema:
	case RemoveSchema:
		out.Command = "unenroll"
	default:
		return fmt.Errorf("enroll: report schema %q, want %q or %q", w.Schema, Schema, RemoveSchema)
	}
	for k, f := range out.facts() {
		*f = Fact(w.Facts[k])
	}
	for _, s := range w.Steps {
		out.Steps = append(out.Steps, Step{s.Name, s.State, s.Detail, jsonwire.Err(s.Err)})
	}
	for _, h := range w.Hosts {
		out.Hosts = append(out.Hosts, rotate.HostResult{Host: h.Host, File: h.File, Holds: h.Holds, Hash: h.Hash, Wrote: h.Wrote, Err: jsonwire.Err(h.Err)})
	}
	for _, a := range w.HostAddresses {
		out.HostAddresses = append(out.HostAddresses, HostAddress(a))
	}
	for _, h := range w.Preflight {
		hc := HostCheck{Host: h.Host, Counts: h.Counts, Err: jsonwire.Err(h.Err)}
		if len(h.Left) > 0 {
			hc.Left = h.Left
		}
		out.Preflight = append(out.Preflight, hc)
	}
	*r = out
	return nil
}

func (r Report) schema() string {
	if r.Command == "unenroll" {
		return RemoveSchema
	}
	return Schema
}

// facts names the report's facts by their JSON keys.
func (r *Report) facts() map[string]*Fact {
	return map[string]*Fact{"domain": &r.Facts.Domain, "host_cfname": &r.Facts.HostCFName,
		"cluster_name": &r.Facts.ClusterName, "cfname": &r.Facts.CFName}
}

func errText(err error) string { return jsonwire.Text(jsonwire.ErrText(err)) }

// The wire form of a Report, its Facts, Steps and rotate.HostResults.
type (
	wireReport struct {
		Schema      string              `json:"schema,omitempty"`
		DryRun      bool                `json:"dry_run"`
		OK          bool                `json:"ok"`
		Changed     bool                `json:"changed"`
		Address     string              `json:"address,omitempty"`
		User        string              `json:"user,omitempty"`
		UUID        string              `json:"uuid,omitempty"`
		Host        string              `json:"host,omitempty"`
		Facts       map[string]wireFact `json:"facts,omitempty"`
		GuestKey    string              `json:"guest_key,omitempty"`
		Line        string              `json:"line,omitempty"`
		Diff        string              `json:"diff,omitempty"`
		SudoersFile string              `json:"sudoers_file,omitempty"`
		Sudoers     string              `json:"sudoers,omitempty"`
		Steps       []wireStep          `json:"steps"`
		Hosts       []wireHost          `json:"hosts,omitempty"`
		// host_addresses: step 5's hosts as the guest reaches them;
		// preflight: the guest's preflight on every host.
		HostAddresses []wireAddress `json:"host_addresses,omitempty"`
		Preflight     []wireCheck   `json:"preflight,omitempty"`
		Resume        string        `json:"resume,omitempty"`
		Next          []string      `json:"next,omitempty"`
		Notes         []string      `json:"notes,omitempty"`
		Err           string        `json:"error,omitempty"`
		Seconds       float64       `json:"elapsed_seconds"`
	}
	wireFact struct {
		Value  string `json:"value"`
		Source string `json:"source"`
	}
	wireStep struct {
		Name   string `json:"name"`
		State  State  `json:"state"`
		Detail string `json:"detail,omitempty"`
		Err    string `json:"error,omitempty"`
	}
	wireAddress struct {
		Host    string `json:"host"`
		Address string `json:"address"`
		Source  string `json:"source"`
	}
	// wireCheck's counts are preflight's own JSON (ok, warn, fail, skip).
	wireCheck struct {
		Host   string           `json:"host"`
		Counts preflight.Counts `json:"counts"`
		Left   []string         `json:"left"`
		Err    string           `json:"error,omitempty"`
	}
	wireHost struct {
		Host  string `json:"host"`
		File  string `json:"file"`
		Holds string `json:"holds"`
		Hash  string `json:"sha256,omitempty"`
		Wrote bool   `json:"wrote"`
		Err   string `json:"error,omitempty"`
	}
)
