package main

import (
	"context"
	"fmt"

	"github.com/sfkvm/sfkvm/internal/count"
	"github.com/sfkvm/sfkvm/kvmguests"
)

func init() {
	commands["compare"] = command{
		summary: "tell whether copies of kvmguests.conf are byte-identical",
		run:     runCompare,
	}
}

func runCompare(_ context.Context, e *env, args []string) int {
	fs := newFlags(e, "compare", "[--format=text|json] FILE FILE...")
	format := formatFlag(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() < 2 {
		fs.Usage()
		return exitUsage
	}
	// Every copy against the first: what matters is whether all hosts hold
	// the same file. Each input is read as check --no-perm reads one (a
	// regular file, never a FIFO or a device, at most kvmguests.MaxSize
	// bytes), and a pair is read whole only when it differs.
	names := fs.Args()
	var results []kvmguests.Comparison
	code := exitOK
	for _, name := range names[1:] {
		r, err := kvmguests.CompareFiles(names[0], name)
		if err != nil {
			fmt.Fprintf(e.stderr, "sfkvm compare: %v\n", err)
			return exitNoInput
		}
		results = append(results, r)
		if !r.Identical {
			code = exitFailed
		}
	}
	if *format == "json" {
		// The names and the diff can carry any byte of the files: the
		// report writes the ones that are not UTF-8 as \xNN.
		if err := writeJSON(e.stdout, kvmguests.NewCompareReport(results)); err != nil {
			return exitFailed
		}
		return code
	}
	printComparisons(e, names[0], results)
	return code
}

// printComparisons prints the copies that differ first, each with its
// summary line and its diff (none for line ends only: it would show every
// line changed with nothing visible), then the identical ones, then one
// summary line.
func printComparisons(e *env, first string, results []kvmguests.Comparison) {
	differ := 0
	for _, r := range results {
		if r.Identical {
			continue
		}
		differ++
		fmt.Fprintln(e.stdout, r.Summary())
		if r.LineEnds == kvmguests.LineEndsNotOnly {
			fmt.Fprint(e.stdout, r.Diff)
		}
	}
	for _, r := range results {
		if r.Identical {
			fmt.Fprintf(e.stdout, "identical: %s %s\n", r.A, r.B)
		}
	}
	if differ == 0 {
		fmt.Fprintf(e.stdout, "every copy is identical to %s (%d compared)\n", first, len(results))
		return
	}
	verb := "differ"
	if differ == 1 {
		verb = "differs"
	}
	fmt.Fprintf(e.stdout, "%d of %s %s from %s\n", differ, count.N(len(results), "copy", "copies"), verb, first)
}
