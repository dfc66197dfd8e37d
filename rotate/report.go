package rotate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/sfkvm/sfkvm/internal/jsonwire"
)

// GuestState is where a guest ended.
type GuestState string

const (
	// Rotated: the new password works on the guest (proven by a login)
	// and this host's file holds its new token.
	Rotated GuestState = "rotated"
	// WouldRotate (dry run): the current login works and the new token
	// was made; nothing changed.
	WouldRotate GuestState = "would rotate"
	// Kept: the guest has its old password (proven by a login, or never
	// changed) and the file its old token. Err says why.
	Kept GuestState = "kept"
	// Mismatch: the guest's password may differ from what the files
	// hold; Detail says what is known and what to do. Loud.
	Mismatch GuestState = "MISMATCH"
)

// GuestResult is what happened to one guest.
type GuestResult struct {
	Guest    string
	Address  string // guest_IP
	User     string // guest_user
	State    GuestState
	Stage    string // the step that failed: token, login, sudo, change, new-login, file, interrupted
	OldToken string // fingerprint of the token before, "<token hmac:...>"
	NewToken string // fingerprint of the new token, when one was made
	Proven   string // the login that proved the end state: "new password", "old password", ""
	Err      error
	Detail   string
}

// HostResult is one host's copy of kvmguests.conf after the run.
type HostResult struct {
	Host  string // "this host" for the local file
	File  string
	Holds string // "new", "old", "other", "none" or "unknown"
	Hash  string // SHA-256 of the file as read back, "" when unknown
	Wrote bool   // this run replaced it
	Err   error
	// Diff (Retry) shows how a copy that was refused differs from this
	// host's file; tokens as fingerprints.
	Diff string
}

// notConfirmed: this run wrote the copy, and it could not be read back.
func (h HostResult) notConfirmed() bool { return h.Wrote && h.Holds == "unknown" }

// LocalHost names this host in HostResults.
const LocalHost = "this host"

// Report is the outcome of Run or Retry: one result per guest and per host.
type Report struct {
	DryRun  bool
	File    string
	OldHash string // SHA-256 of this host's file before
	NewHash string // SHA-256 of the new file ("" when none was made)
	Err     error  // a failure of the whole run before any guest changed (bad plan, file, policy, copies)
	Guests  []GuestResult
	Hosts   []HostResult
	// Resume is the command that finishes a run in which some hosts
	// hold the new file and others not; "" when none is needed.
	Resume string
	// Notes are what the run could not tidy: a lock that was not
	// released stays until its lease ends.
	Notes []string
}

// Failed reports whether anything did not end as asked.
func (r Report) Failed() bool {
	if r.Err != nil {
		return true
	}
	for _, g := range r.Guests {
		if g.State != Rotated && g.State != WouldRotate {
			return true
		}
	}
	for _, h := range r.Hosts {
		if h.Err != nil || (r.NewHash != "" && !r.DryRun && h.Holds != "new") {
			return true
		}
	}
	return false
}

// Mismatch reports whether a guest's password and some host's file may
// disagree: a guest in state Mismatch, or rotated guests while a host
// still holds another file. Such a report must be acted on (Resume).
func (r Report) Mismatch() bool {
	rotated := false
	for _, g := range r.Guests {
		if g.State == Mismatch {
			return true
		}
		rotated = rotated || g.State == Rotated
	}
	if !rotated {
		return false
	}
	for _, h := range r.Hosts {
		if h.Holds != "new" {
			return true
		}
	}
	return false
}

// WriteText prints the report for an administrator: one line per guest,
// one per host, then what is wrong and what finishes the job. Tokens
// appear as fingerprints only.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	if r.DryRun {
		b.WriteString("dry run: nothing was changed\n")
	}
	if r.Err != nil {
		fmt.Fprintf(&b, "error: %v\n", r.Err)
	}
	for _, g := range r.Guests {
		fmt.Fprintf(&b, "guest %-16s %-12s %s", g.Guest, g.State, g.OldToken)
		if g.NewToken != "" {
			fmt.Fprintf(&b, " -> %s", g.NewToken)
		}
		if g.Proven != "" {
			fmt.Fprintf(&b, "  (login with the %s proven)", g.Proven)
		}
		if g.Err != nil {
			fmt.Fprintf(&b, "\n      %s: %v", g.Stage, g.Err)
		}
		if g.Detail != "" {
			fmt.Fprintf(&b, "\n      %s", g.Detail)
		}
		b.WriteByte('\n')
	}
	for _, h := range r.Hosts {
		holds := strings.ToUpper(h.Holds)
		if h.notConfirmed() {
			holds = "NOT CONFIRMED" // written, not read back: it may hold the new file
		}
		fmt.Fprintf(&b, "host  %-16s %-8s %s", h.Host, holds, h.File)
		if h.Hash != "" {
			fmt.Fprintf(&b, " sha256:%.12s", h.Hash)
		}
		if h.Wrote {
			b.WriteString(" (replaced)")
		}
		if h.Err != nil {
			fmt.Fprintf(&b, "\n      %v", h.Err)
		}
		if h.Diff != "" {
			b.WriteString("\n      | " + strings.ReplaceAll(strings.TrimRight(h.Diff, "\n"), "\n", "\n      | "))
		}
		b.WriteByte('\n')
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	if r.Mismatch() {
		b.WriteString("MISMATCH: the guests' passwords and these hosts' files disagree:")
		for _, h := range r.Hosts {
			switch {
			case h.Holds == "new":
			case h.notConfirmed():
				fmt.Fprintf(&b, " %s (not confirmed: written, then not read back)", h.Host)
			default:
				fmt.Fprintf(&b, " %s (%s)", h.Host, h.Holds)
			}
		}
		for _, g := range r.Guests {
			if g.State == Mismatch {
				fmt.Fprintf(&b, " guest %s", g.Guest)
			}
		}
		b.WriteString("\nPRIMECLUSTER on those hosts cannot log in to the rotated guests until this is finished.\n")
	}
	if r.Resume != "" {
		fmt.Fprintf(&b, "to finish: %s\n", r.Resume)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Schema names the JSON form of a Report. Within v1, fields may be added;
// a renamed or removed field or a changed state word makes v2.
const Schema = "sfkvm.rotate/v1"

// MarshalJSON gives the report as
//
//	{"schema": "sfkvm.rotate/v1", "dry_run": false, "file": "...",
//	 "old_sha256": "...", "new_sha256": "...", "error": "...",
//	 "guests": [{"guest": "guest11", "address": "192.0.2.11", "user": "user1",
//	             "state": "rotated", "stage": "", "old_token": "<token hmac:...>",
//	             "new_token": "<token hmac:...>", "proven": "new password",
//	             "error": "", "detail": ""}],
//	 "hosts": [{"host": "this host", "file": "...", "holds": "new",
//	            "sha256": "...", "wrote": true, "error": ""}],
//	 "mismatch": false, "resume": ""}
//
// Empty strings are left out; nothing is HTML-escaped ("<token" is
// written as itself).
func (r Report) MarshalJSON() ([]byte, error) {
	out := wireReport{Schema: Schema, DryRun: r.DryRun, File: r.File, OldHash: r.OldHash, NewHash: r.NewHash, Err: jsonwire.ErrText(r.Err),
		Guests: []wireGuest{}, Hosts: []wireHost{}, Mismatch: r.Mismatch(), Resume: r.Resume, Notes: r.Notes}
	for _, g := range r.Guests {
		out.Guests = append(out.Guests, wireGuest{g.Guest, g.Address, g.User, g.State, g.Stage, g.OldToken, g.NewToken, g.Proven, jsonwire.ErrText(g.Err), g.Detail})
	}
	for _, h := range r.Hosts {
		out.Hosts = append(out.Hosts, wireHost{h.Host, h.File, h.Holds, h.Hash, h.Wrote, jsonwire.ErrText(h.Err), h.Diff})
	}
	return jsonwire.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes. Each "error" becomes an
// error whose Error() is that text; "mismatch" is not read (Mismatch
// derives it); a schema other than Schema is refused.
func (r *Report) UnmarshalJSON(b []byte) error {
	var w wireReport
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if w.Schema != Schema {
		return fmt.Errorf("rotate: report schema %q, want %q", w.Schema, Schema)
	}
	out := Report{DryRun: w.DryRun, File: w.File, OldHash: w.OldHash, NewHash: w.NewHash, Err: jsonwire.Err(w.Err), Resume: w.Resume, Notes: w.Notes}
	for _, g := range w.Guests {
		out.Guests = append(out.Guests, GuestResult{g.Guest, g.Address, g.User, g.State, g.Stage, g.OldToken, g.NewToken, g.Proven, jsonwire.Err(g.Err), g.Detail})
	}
	for _, h := range w.Hosts {
		out.Hosts = append(out.Hosts, HostResult{h.Host, h.File, h.Holds, h.Hash, h.Wrote, jsonwire.Err(h.Err), h.Diff})
	}
	*r = out
	return nil
}

// The wire form of a Report, its GuestResults and HostResults.
type (
	wireGuest struct {
		Guest    string     `json:"guest"`
		Address  string     `json:"address,omitempty"`
		User     string     `json:"user,omitempty"`
		State    GuestState `json:"state"`
		Stage    string     `json:"stage,omitempty"`
		OldToken string     `json:"old_token,omitempty"`
		NewToken string     `json:"new_token,omitempty"`
		Proven   string     `json:"proven,omitempty"`
		Err      string     `json:"error,omitempty"`
		Detail   string     `json:"detail,omitempty"`
	}
	wireHost struct {
		Host  string `json:"host"`
		File  string `json:"file"`
		Holds string `json:"holds"`
		Hash  string `json:"sha256,omitempty"`
		Wrote bool   `json:"wrote"`
		Err   string `json:"error,omitempty"`
		Diff  string `json:"diff,omitempty"`
	}
	wireReport struct {
		Schema   string      `json:"schema"`
		DryRun   bool        `json:"dry_run"`
		File     string      `json:"file"`
		OldHash  string      `json:"old_sha256,omitempty"`
		NewHash  string      `json:"new_sha256,omitempty"`
		Err      string      `json:"error,omitempty"`
		Guests   []wireGuest `json:"guests"`
		Hosts    []wireHost  `json:"hosts"`
		Mismatch bool        `json:"mismatch"`
		Resume   string      `json:"resume,omitempty"`
		Notes    []string    `json:"notes,omitempty"`
	}
)
