package main

import (
	"context"
	"fmt"
	"os"

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
	copies := make([]kvmguests.Copy, fs.NArg())
	for i, name := range fs.Args() {
		b, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(e.stderr, "sfkvm compare: %v\n", err)
			return exitNoInput
		}
		copies[i] = kvmguests.Copy{Name: name, Data: b}
	}
	// Every copy against the first: what matters is whether all hosts hold
	// the same file.
	var results []kvmguests.Comparison
	code := exitOK
	for _, c := range copies[1:] {
		r := kvmguests.Compare(copies[0], c)
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
