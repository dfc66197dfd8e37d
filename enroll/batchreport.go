package enroll

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/sfkvm/sfkvm/internal/count"
	"github.com/sfkvm/sfkvm/internal/jsonwire"
	"github.com/sfkvm/sfkvm/rotate"
)

// BatchSchema is the JSON form of a BatchReport: what `sfkvm enroll
// --guest-list FILE --format=json` prints. Within v1 fields may be
// added; a renamed or removed field or a changed word makes v2.
const BatchSchema = "sfkvm.enroll.batch/v1"

// BatchReport is the outcome of RunBatch: a Report per Member, in order
// (its Hosts and Resume are the batch's, below), and the file's one
// change.
type BatchReport struct {
	DryRun bool
	Guests []Report
	// Diff is the file's change (tokens as fingerprints).
	Diff string
	// Hosts is every copy after the one write; Resume finishes the job
	// when some host does not hold this host's new file.
	Hosts   []rotate.HostResult
	Resume  string
	Notes   []string
	Seconds float64
	// Err is what stopped the whole batch (the lock, this host's write,
	// an interrupt before it); a guest's own failure is in its Report.
	Err error
}

// Result is one guest's outcome in a word: "enrolled" (its line is in
// every host's file and the run changed something of it), "already"
// (in the file, nothing changed), "would" (a dry run would change it) or
// "failed" (left out of the file; what the run did on the guest was
// taken back, its Report says what and what is left).
func (r Report) Result() string {
	switch {
	case r.Err != nil:
		return "failed"
	case r.stepState("file") == Would:
		return "would"
	case r.DryRun:
		for _, s := range r.Steps {
			if s.State == Would {
				return "would"
			}
		}
		return "already"
	case r.stepState("file") == Done || (r.stepState("file") == Already && r.Changed()):
		return "enrolled"
	case r.stepState("file") == Already:
		return "already"
	}
	return "failed"
}

// InFile reports whether every host's file holds the guest's line after
// the run (in a dry run: would hold).
func (r Report) InFile() bool {
	st := r.stepState("file")
	return r.Err == nil && (st == Done || st == Already || st == Would)
}

// InFile are the guest-names whose lines the file holds (would hold, in
// a dry run), in the batch's order.
func (r BatchReport) InFile() []string {
	var out []string
	for _, g := range r.Guests {
		if g.InFile() {
			out = append(out, g.Facts.Domain.Value)
		}
	}
	return out
}

// Failed reports whether some guest or the batch did not reach its end.
func (r BatchReport) Failed() bool {
	if r.Err != nil || r.Resume != "" {
		return true
	}
	for _, h := range r.Hosts {
		if h.Err != nil {
			return true
		}
	}
	for _, g := range r.Guests {
		if g.Failed() {
			return true
		}
	}
	return false
}

// Changed reports whether the run changed anything.
func (r BatchReport) Changed() bool {
	for _, g := range r.Guests {
		if g.Changed() {
			return true
		}
	}
	return false
}

// Mismatch reports whether some host's copy differs from this host's new
// file: Resume finishes it.
func (r BatchReport) Mismatch() bool { return r.Resume != "" }

// WriteText prints the batch for a person: a row per guest, the file's
// change, every host, what each failed guest left, and what is next.
func (r BatchReport) WriteText(w io.Writer) error {
	var b bytes.Buffer
	verb := "enroll"
	if r.DryRun {
		verb += " (dry run: nothing changed)"
	}
	fmt.Fprintf(&b, "%s %s\n", verb, count.N(len(r.Guests), "guest", "guests"))
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tGUEST-NAME\tUSER\tRESULT\tDETAIL")
	var failed, next []string
	enrolled, already := 0, 0
	for _, g := range r.Guests {
		name := g.Facts.Domain.Value
		if name == "" {
			name = "-"
		}
		res := g.Result()
		detail := ""
		switch res {
		case "failed":
			failed = append(failed, g.Address)
			for _, s := range g.Steps {
				if s.State == Failed {
					detail = s.Name + ": " + strings.TrimPrefix(errText(s.Err), "enroll: ")
					break
				}
			}
		case "enrolled":
			enrolled++
		case "already":
			already++
		}
		if res != "failed" {
			var left []string
			for _, s := range g.Steps {
				if s.State == Left {
					left = append(left, s.Name)
				}
			}
			if len(left) > 0 {
				detail = "left: " + strings.Join(left, ", ")
			}
			next = append(next, g.Next...)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", g.Address, safe(name), safe(g.User), res, safe(oneLine(detail)))
	}
	tw.Flush()
	for _, l := range strings.SplitAfter(table.String(), "\n") {
		b.WriteString(strings.TrimRight(l, " \n"))
		if l != "" {
			b.WriteByte('\n')
		}
	}
	writeDiffAndHosts(&b, r.Diff, r.Hosts)
	if r.Resume != "" {
		fmt.Fprintf(&b, "MISMATCH: some hosts do not hold this host's file; to finish: %s\n", r.Resume)
	}
	for _, g := range r.Guests {
		if g.Result() != "failed" {
			continue
		}
		fmt.Fprintf(&b, "failed %s (not in the file):\n", g.Address)
		for _, s := range g.Steps {
			if s.State == Failed || s.State == Undone {
				fmt.Fprintf(&b, "  %-9s %-10s %s", s.State, s.Name, safe(s.Detail))
				if s.Err != nil {
					if s.Detail != "" {
						b.WriteString(": ")
					}
					b.WriteString(safe(oneLine(s.Err.Error())))
				}
				b.WriteByte('\n')
			}
		}
		for _, n := range g.Notes {
			fmt.Fprintf(&b, "  note: %s\n", safe(n))
		}
	}
	seen := map[string]bool{}
	for _, n := range next {
		if !seen[n] {
			seen[n] = true
			fmt.Fprintf(&b, "next: %s\n", n)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", safe(n))
	}
	in := r.InFile()
	switch {
	case r.DryRun:
		fmt.Fprintf(&b, "the file would hold %d of %s", len(in), count.N(len(r.Guests), "guest", "guests"))
	default:
		fmt.Fprintf(&b, "every host's file holds %d of %s (%d enrolled now, %d already)", len(in), count.N(len(r.Guests), "guest", "guests"), enrolled, already)
	}
	if len(in) > 0 {
		fmt.Fprintf(&b, ": %s", safe(strings.Join(in, " ")))
	}
	b.WriteByte('\n')
	if len(failed) > 0 {
		fmt.Fprintf(&b, "not enrolled: %s\n", strings.Join(failed, " "))
	}
	if !r.DryRun && r.Err == nil && len(failed) == 0 && !r.Changed() {
		b.WriteString("nothing changed: every guest was enrolled already\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// MarshalJSON gives the batch as one object: BatchSchema; "ok" is
// !Failed() and "changed" Changed(); "in_file" the guest-names the file
// holds; "guests" an object per Member, as Report.MarshalJSON writes it
// without "schema", with its "result" (Report.Result) and "in_file";
// "diff", "hosts", "resume", "notes", "error" as in a Report.
func (r BatchReport) MarshalJSON() ([]byte, error) {
	out := wireBatch{Schema: BatchSchema, DryRun: r.DryRun, OK: !r.Failed(), Changed: r.Changed(), InFile: r.InFile(),
		Guests: []wireBatchGuest{}, Diff: jsonwire.Text(r.Diff), Resume: r.Resume, Err: errText(r.Err), Seconds: r.Seconds}
	if out.InFile == nil {
		out.InFile = []string{}
	}
	for _, g := range r.Guests {
		w := g.wire()
		w.Schema = ""
		out.Guests = append(out.Guests, wireBatchGuest{Result: g.Result(), InFile: g.InFile(), wireReport: w})
	}
	for _, h := range r.Hosts {
		out.Hosts = append(out.Hosts, wireHost{jsonwire.Text(h.Host), jsonwire.Text(h.File), h.Holds, h.Hash, h.Wrote, errText(h.Err)})
	}
	for _, n := range r.Notes {
		out.Notes = append(out.Notes, jsonwire.Text(n))
	}
	return jsonwire.Marshal(out)
}

type (
	wireBatch struct {
		Schema  string           `json:"schema"`
		DryRun  bool             `json:"dry_run"`
		OK      bool             `json:"ok"`
		Changed bool             `json:"changed"`
		InFile  []string         `json:"in_file"`
		Guests  []wireBatchGuest `json:"guests"`
		Diff    string           `json:"diff,omitempty"`
		Hosts   []wireHost       `json:"hosts,omitempty"`
		Resume  string           `json:"resume,omitempty"`
		Notes   []string         `json:"notes,omitempty"`
		Err     string           `json:"error,omitempty"`
		Seconds float64          `json:"elapsed_seconds"`
	}
	wireBatchGuest struct {
		Result string `json:"result"`
		InFile bool   `json:"in_file"`
		wireReport
	}
)
