package enroll

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/rotate"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// State is how a step ended.
type State string

const (
	OK      State = "ok"      // checked, holds: nothing to change
	Done    State = "done"    // changed, and proven
	Already State = "already" // was so already: nothing changed
	Would   State = "would"   // dry run: would change (Detail says how)
	Failed  State = "failed"  // Err says why; the report says what it left
	Undone  State = "undone"  // done by this run, then put back after a later failure
	Left    State = "left"    // not done by this run: Detail is what to do
)

// Step is one step of the run, in order.
type Step struct {
	Name   string // policy, guest-key, login, facts, lock, user, password, sudoers, proof, token, keys, file, disk, preflight, unenroll steps
	State  State
	Detail string
	Err    error
}

// Fact is one value of the guest's line and where it came from.
type Fact struct {
	Value  string
	Source string // "cftool -c", "given (--cluster)", "domain UUID ... on HOST", ...
}

// HostAddress is a host as the guest reaches it (step 5: its key goes
// into the guest's root known_hosts), and where that address came from.
type HostAddress struct {
	Host    string // LocalHost or a name of Plan.Files.Hosts; the address given otherwise
	Address string // host:port
	Source  string // "registration of cfhost2 (/var/lib/sfkvm/hostinfo)", "given"
}

// HostCheck is the end of a run on one host: preflight for the guest
// there, its counts, and its FAIL and WARN rows as what is left.
type HostCheck struct {
	Host   string // LocalHost or a name of Plan.Files.Hosts
	Counts preflight.Counts
	Left   []string // "FAIL guest.login guest7 10.0.0.7: reason", ...
	Err    error    // preflight gave no report there (not run, not reached)
}

// Report is the outcome of Run or Remove: every step, the facts, the
// file's change (tokens as fingerprints), every host's copy.
type Report struct {
	Command string // "enroll" or "unenroll"
	DryRun  bool
	Address string
	User    string
	UUID    string
	Host    string // the host that runs the domain (LocalHost or a host's name)
	Facts   struct{ Domain, HostCFName, ClusterName, CFName Fact }
	// Line is the guest's line in kvmguests.conf, the token as a
	// fingerprint; Diff the file's change (tokens as fingerprints).
	Line, Diff string
	// Sudoers is the drop-in's file and content.
	SudoersFile, Sudoers string
	// GuestKey is the fingerprint of the guest's host key.
	GuestKey string
	// HostAddresses are the hosts as the guest reaches them (step 5),
	// each with where its address came from.
	HostAddresses []HostAddress
	// Preflight is the guest's preflight on this host and every other
	// host, one entry a host, in the order of the run's hosts.
	Preflight []HostCheck
	Steps     []Step
	Hosts     []rotate.HostResult // every copy after the write ("" when not written)
	// Resume finishes the job when some host does not hold the new file.
	Resume  string
	Next    []string // what is left to do, as commands
	Notes   []string
	Seconds float64
	Err     error // the step that stopped the run (also in Steps)
}

func (r *Report) step(name string, st State, detail string, err error) {
	r.Steps = append(r.Steps, Step{Name: name, State: st, Detail: detail, Err: err})
	if st == Failed && r.Err == nil {
		r.Err = err
		if r.Err == nil {
			r.Err = fmt.Errorf("%s: %s", name, detail)
		}
	}
}

// Failed reports whether the run did not reach its end.
func (r Report) Failed() bool {
	if r.Err != nil || r.Resume != "" {
		return true
	}
	for _, h := range r.Hosts {
		if h.Err != nil {
			return true
		}
	}
	return false
}

// Changed reports whether the run changed anything.
func (r Report) Changed() bool {
	for _, s := range r.Steps {
		if s.State == Done || s.State == Undone {
			return true
		}
	}
	return false
}

// Mismatch reports whether some host's copy differs from this host's new
// file: Resume finishes it.
func (r Report) Mismatch() bool { return r.Resume != "" }

// WriteText prints the report for a person: the facts, one line per step,
// the hosts, and what is left.
func (r Report) WriteText(w io.Writer) error {
	var b bytes.Buffer
	verb := r.Command
	if r.DryRun {
		verb += " (dry run: nothing changed)"
	}
	fmt.Fprintf(&b, "%s %s as %s\n", verb, r.Address, r.User)
	if r.GuestKey != "" {
		fmt.Fprintf(&b, "  guest key     %s\n", r.GuestKey)
	}
	for _, f := range []struct {
		name string
		f    Fact
	}{{"domain", r.Facts.Domain}, {"host-cfname", r.Facts.HostCFName}, {"cluster", r.Facts.ClusterName}, {"cfname", r.Facts.CFName}} {
		if f.f.Value != "" || f.f.Source != "" {
			fmt.Fprintf(&b, "  %-13s %s (%s)\n", f.name, safe(f.f.Value), f.f.Source)
		}
	}
	if r.UUID != "" {
		fmt.Fprintf(&b, "  uuid          %s\n", r.UUID)
	}
	if r.Line != "" {
		fmt.Fprintf(&b, "  line          %s\n", safe(r.Line))
	}
	for _, a := range r.HostAddresses {
		fmt.Fprintf(&b, "  host-address  %s %s (%s)\n", safe(a.Host), safe(a.Address), safe(a.Source))
	}
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "%-9s %-10s %s", s.State, s.Name, safe(s.Detail))
		if s.Err != nil {
			if s.Detail != "" {
				b.WriteString(": ")
			}
			b.WriteString(safe(s.Err.Error()))
		}
		b.WriteByte('\n')
	}
	if r.Sudoers != "" && (r.DryRun || r.stepState("sudoers") == Done || r.stepState("sudoers") == Failed) {
		fmt.Fprintf(&b, "%s:\n", r.SudoersFile)
		for _, l := range strings.Split(strings.TrimSuffix(r.Sudoers, "\n"), "\n") {
			fmt.Fprintf(&b, "  %s\n", safe(l))
		}
	}
	writeDiffAndHosts(&b, r.Diff, r.Hosts)
	for _, h := range r.Preflight {
		fmt.Fprintf(&b, "preflight %-12s ", safe(h.Host))
		if h.Err != nil {
			fmt.Fprintf(&b, "no report: %s\n", safe(h.Err.Error()))
			continue
		}
		c := h.Counts
		fmt.Fprintf(&b, "%d OK, %d WARN, %d FAIL, %d SKIP", c.OK, c.Warn, c.Fail, c.Skip)
		if len(h.Left) == 0 {
			b.WriteString(": every row OK or SKIP\n")
			continue
		}
		b.WriteString("; left:\n")
		for _, l := range h.Left {
			fmt.Fprintf(&b, "  %s\n", safe(l))
		}
	}
	if r.Resume != "" {
		fmt.Fprintf(&b, "MISMATCH: some hosts do not hold this host's file; to finish: %s\n", r.Resume)
	}
	for _, n := range r.Next {
		fmt.Fprintf(&b, "next: %s\n", n)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", safe(n))
	}
	switch {
	case r.Err != nil:
	case r.DryRun:
	case !r.Changed():
		if r.Command == "unenroll" {
			b.WriteString("nothing changed: the guest was not enrolled\n")
		} else {
			b.WriteString("nothing changed: the guest was enrolled already\n")
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

func (r Report) stepState(name string) State {
	for _, s := range r.Steps {
		if s.Name == name {
			return s.State
		}
	}
	return ""
}

// safe escapes what a guest or host may have printed.
func safe(s string) string {
	if strings.IndexFunc(s, func(c rune) bool { return c < 0x20 && c != '\t' || c == 0x7f }) < 0 {
		return s
	}
	q := sshcheck.QuoteRemote([]byte(s))
	return q
}

func quote(b []byte) string { return sshcheck.QuoteRemote(bytes.TrimSpace(b)) }

// redact replaces pw in every text of the report.
func (r *Report) redact(pw []byte) {
	if len(pw) == 0 {
		return
	}
	s := string(pw)
	fix := func(t string) string { return strings.ReplaceAll(t, s, "<password>") }
	for i := range r.Steps {
		r.Steps[i].Detail = fix(r.Steps[i].Detail)
		if r.Steps[i].Err != nil && strings.Contains(r.Steps[i].Err.Error(), s) {
			r.Steps[i].Err = redactedError{fix(r.Steps[i].Err.Error()), r.Steps[i].Err}
		}
	}
	if r.Err != nil && strings.Contains(r.Err.Error(), s) {
		r.Err = redactedError{fix(r.Err.Error()), r.Err}
	}
	for i := range r.Notes {
		r.Notes[i] = fix(r.Notes[i])
	}
}

type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }

// writeDiffAndHosts writes the file's diff and a line per host's copy,
// as one guest's report and a batch's write them.
func writeDiffAndHosts(b *bytes.Buffer, diff string, hosts []rotate.HostResult) {
	if diff != "" {
		b.WriteString(diff)
		if !strings.HasSuffix(diff, "\n") {
			b.WriteByte('\n')
		}
	}
	for _, h := range hosts {
		fmt.Fprintf(b, "host %-12s %s holds %s", h.Host, h.File, h.Holds)
		if h.Err != nil {
			b.WriteString(": " + safe(h.Err.Error()))
		}
		b.WriteByte('\n')
	}
}
