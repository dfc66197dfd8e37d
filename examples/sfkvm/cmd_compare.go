package main

import (
	"context"
	"fmt"

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
		if err := writeJSON(e.stdout, results); err != nil {
			return exitFailed
		}
		return code
	}
	for _, r := range results {
		if r.Identical {
			fmt.Fprintf(e.stdout, "identical: %s %s\n", r.A, r.B)
		} else {
			fmt.Fprint(e.stdout, r.Diff)
		}
	}
	return code
}
