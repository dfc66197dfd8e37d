package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
)

// verdict is a preflight row's outcome.
type verdict string

const (
	verdictOK   verdict = "OK"
	verdictWarn verdict = "WARN"
	verdictFail verdict = "FAIL"
	verdictSkip verdict = "SKIP" // the check could not run; Reason says why
)

// section orders the rows: the order of the procedure as an administrator
// walks it (the file first, since every other check reads it).
type section int

const (
	secConfig         section = iota // 1.4 and 1.6: the file, our check
	secVendorCheck                   // 1.6: sfkvmtool -c beside ours
	secFileMode                      // 1.4: owner and mode
	secCopies                        // 1.4: identical on every host
	secHostKey                       // 1.5: root knows the guest's host key
	secLogin                         // 1.5: the login works
	secSudo                          // 1.2: NOPASSWD sudo
	secGuestNames                    // 1.1: the guest's cftool agrees
	secHostCFName                    // 1.1: this host's cftool -l agrees
	secFacility                      // 1.7: shutdown facility ready
	secRegistered                    // 2: this host registered
	secWeightLink                    // 2: -w the same everywhere
	secGuestSetup                    // 3: guests here set up
	secGuestKnowsHost                // 5: guests know every host's key
)

// row is one line of the preflight table.
type row struct {
	Step    string  `json:"step"`
	Check   string  `json:"check"`
	Target  string  `json:"target"`
	Verdict verdict `json:"status"`
	Reason  string  `json:"reason"`
	Fix     string  `json:"fix,omitempty"`    // what to do, for FAIL and WARN
	Detail  string  `json:"detail,omitempty"` // several lines: a diff, a tool's output

	sec   section
	index int // of the target within its section (guest or host order)
}

// task is one independent piece of the preflight; it returns its rows.
type task func(ctx context.Context) []row

// runTasks runs tasks with at most parallel at once and returns every row,
// in section order, then target order.
func runTasks(ctx context.Context, parallel int, tasks []task) []row {
	results := make([][]row, len(tasks))
	sem := make(chan struct{}, max(parallel, 1))
	var wg sync.WaitGroup
	for i, t := range tasks {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = t(ctx)
		}()
	}
	wg.Wait()
	var rows []row
	for _, r := range results {
		rows = append(rows, r...)
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		if a.sec != b.sec {
			return int(a.sec) - int(b.sec)
		}
		return a.index - b.index
	})
	return rows
}

// preflightSummary counts the rows by verdict.
type preflightSummary struct {
	OK   int `json:"ok"`
	Warn int `json:"warn"`
	Fail int `json:"fail"`
	Skip int `json:"skip"`
}

func summarize(rows []row) preflightSummary {
	var s preflightSummary
	for _, r := range rows {
		switch r.Verdict {
		case verdictOK:
			s.OK++
		case verdictWarn:
			s.Warn++
		case verdictFail:
			s.Fail++
		case verdictSkip:
			s.Skip++
		}
	}
	return s
}

// printRows prints the table: one row per step and target, and under a
// FAIL or WARN what to do, then any detail indented.
func printRows(w io.Writer, rows []row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tCHECK\tTARGET\tSTATUS\tREASON")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Step, r.Check, r.Target, r.Verdict, oneLine(r.Reason))
		if r.Fix != "" && (r.Verdict == verdictFail || r.Verdict == verdictWarn) {
			fmt.Fprintf(tw, "\t\t\t\t  fix: %s\n", oneLine(r.Fix))
		}
		if r.Detail != "" {
			tw.Flush()
			for _, l := range strings.Split(strings.TrimRight(r.Detail, "\n"), "\n") {
				fmt.Fprintf(w, "      | %s\n", l)
			}
		}
	}
	tw.Flush()
	s := summarize(rows)
	fmt.Fprintf(w, "preflight: %d OK, %d WARN, %d FAIL, %d SKIP\n", s.OK, s.Warn, s.Fail, s.Skip)
}

// oneLine keeps a table cell on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
