package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
)

// newFlags returns a FlagSet for one subcommand that reports its errors on
// stderr and never exits the process.
func newFlags(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: sfkvm %s %s\n", name, synopsis)
		printDefaults(fs)
	}
	return fs
}

// printDefaults lists the flags the way the usage lines spell them
// (--format, not -format; the flag package accepts both), one per flag with
// its argument, its meaning and its default.
func printDefaults(fs *flag.FlagSet) {
	w := fs.Output()
	fs.VisitAll(func(f *flag.Flag) {
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-" // the vendor's spellings: -c, -i, -w, -f
		}
		arg, usage := flag.UnquoteUsage(f)
		line := "  " + dash + f.Name
		if arg != "" {
			line += " " + arg
		}
		fmt.Fprintf(w, "%s\n    \t%s", line, usage)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// parseFlags parses args; ok is false when the caller must return code.
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			// Asked for: the usage and flags are printed; the long
			// documentation follows (a wrong flag gets only the usage).
			printManual(fs.Output(), fs.Name())
			return exitOK, false
		}
		return exitUsage, false
	}
	return 0, true
}

// outputFormat is the --format flag shared by every command that prints
// results.
type outputFormat string

func (f *outputFormat) String() string { return string(*f) }

func (f *outputFormat) Set(s string) error {
	switch s {
	case "text", "json":
		*f = outputFormat(s)
		return nil
	}
	return fmt.Errorf("must be text or json")
}

func formatFlag(fs *flag.FlagSet) *outputFormat {
	f := outputFormat("text")
	fs.Var(&f, "format", "output `format`: text or json")
	return &f
}

// writeJSON prints v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // "<token>" reads better than \u003c...
	return enc.Encode(v)
}
