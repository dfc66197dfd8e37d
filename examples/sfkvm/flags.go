package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// newFlags returns a FlagSet for one subcommand that reports its errors on
// stderr and never exits the process.
//
// -h, -help and --help print the usage on stdout (asked for, so not a
// diagnostic) and end the command with exit 0, wherever they stand among
// the flags: the same text on the same stream as `sfkvm help NAME`. A usage
// error prints it on stderr.
func newFlags(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { writeUsage(fs.Output(), fs, name, synopsis) }
	h := &helpFlag{print: func() {
		// Asked for: the usage and flags, then the command's long
		// documentation (its page in manual/); a usage error gets only the
		// usage.
		writeUsage(e.stdout, fs, name, synopsis)
		printManual(e.stdout, name)
	}}
	fs.Var(h, "h", "show this help")
	fs.Var(h, "help", "show this help")
	if flagSetHook != nil {
		flagSetHook(fs)
	}
	return fs
}

func writeUsage(w io.Writer, fs *flag.FlagSet, name, synopsis string) {
	fmt.Fprintf(w, "usage: sfkvm %s %s\n", name, synopsis)
	printDefaults(fs, w)
}

// helpFlag is -h and --help: set, the usage goes to stdout.
type helpFlag struct {
	asked bool
	print func()
}

func (h *helpFlag) String() string   { return "false" }
func (h *helpFlag) IsBoolFlag() bool { return true }
func (h *helpFlag) Set(s string) error {
	h.asked = s != "false"
	return nil
}

// printDefaults lists the flags the way the usage lines spell them
// (--format, not -format; the flag package accepts both), one per flag with
// its argument, its meaning and its default.
func printDefaults(fs *flag.FlagSet, w io.Writer) {
	fs.VisitAll(func(f *flag.Flag) {
		switch f.Value.(type) {
		case *renamedFlag, *helpFlag:
			return // a renamed flag's old spelling, accepted; -h
		}
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

// parseFlags parses args, flags and positional arguments in any order
// (`compare a b --format=json`, `sd status --timeout 1m`): every command
// takes its flags before, between and after its file names, domain names
// or action, and "--" ends the flags (what follows is positional, even if
// it starts with a dash). Afterwards fs.Args() holds the positional
// arguments in their order. ok is false when the caller must return code.
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return exitOK, false
			}
			return exitUsage, false
		}
		if h, ok := fs.Lookup("h").Value.(*helpFlag); ok && h.asked {
			h.print()
			return exitOK, false
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" && !takesValue(fs, args[:consumed-1]) {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	// Parse again on the positional arguments alone, behind "--", so that
	// fs.Args() returns them and nothing in them is read as a flag.
	fs.Parse(append([]string{"--"}, pos...))
	return 0, true
}

// takesValue reports whether the last of args is a flag that takes the
// next word as its value (`--preflight-arg --`): that "--" is a value,
// not the end of the flags.
func takesValue(fs *flag.FlagSet, args []string) bool {
	if len(args) == 0 {
		return false
	}
	a := args[len(args)-1]
	if len(a) < 2 || a[0] != '-' || a == "--" || strings.Contains(a, "=") {
		return false
	}
	f := fs.Lookup(strings.TrimLeft(a, "-"))
	if f == nil {
		return false
	}
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return false
	}
	return true
}

// flagSetHook, when set (by tests), gets every flag set newFlags makes:
// the test that walks every command's flags runs each with -h.
var flagSetHook func(*flag.FlagSet)

// localPaths makes the named flags' relative paths absolute, against the
// working folder: the one rule for a path on this machine, in every
// command (a path on another host, or the host information file that
// QEMU opens by its name on every host, must be absolute instead:
// remotePaths). Resolved once, at the start, a path means what the
// administrator meant, whatever folder a later step opens it from.
func localPaths(fs *flag.FlagSet, names ...string) {
	for _, n := range names {
		f := fs.Lookup(n)
		if v := f.Value.String(); v != "" && !filepath.IsAbs(v) {
			if a, err := filepath.Abs(v); err == nil {
				f.Value.Set(a)
			}
		}
	}
}

// remotePaths refuses a relative path in the named flags, which name files
// on other hosts: one there would be read from the login's home folder.
// The refusal is a usage error (exit 2), the same in every command.
func remotePaths(fs *flag.FlagSet, names ...string) error {
	for _, n := range names {
		if v := fs.Lookup(n).Value.String(); v != "" && !filepath.IsAbs(v) {
			return fmt.Errorf("%s %q: a path on the hosts must be absolute", dashed(n), v)
		}
	}
	return nil
}

// dashed is a flag's name as the usage spells it: -f, --key.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// useFileFlag is the hint for a file name given without -f: " (use -f
// FILE)", or nothing when -f was given (a fix never suggests a flag
// already given).
func useFileFlag(fs *flag.FlagSet) string {
	if givenFlags(fs)["f"] {
		return ""
	}
	return " (use -f FILE)"
}

// givenFlags returns the names of the flags set on the command line.
func givenFlags(fs *flag.FlagSet) map[string]bool {
	m := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { m[f.Name] = true })
	return m
}

// renamedFlag is the old spelling of a renamed flag: for one release it
// sets the new flag and prints a one-line note on stderr that names the
// new one; it is hidden from the usage text. The renames of issue 20 are
// listed in docs/contract.md ("Flags renamed").
type renamedFlag struct {
	fs       *flag.FlagSet
	old, new string
	w        io.Writer
}

func (r *renamedFlag) String() string { return "" }

func (r *renamedFlag) Set(s string) error {
	fmt.Fprintf(r.w, "sfkvm %s: --%s is deprecated, use --%s (the old name goes in the next release)\n", r.fs.Name(), r.old, r.new)
	return r.fs.Set(r.new, s)
}

// renamed accepts --old as a deprecated spelling of the flag --new, which
// must be defined already.
func renamed(e *env, fs *flag.FlagSet, old, new string) {
	if fs.Lookup(new) == nil {
		panic("renamed: no flag --" + new)
	}
	fs.Var(&renamedFlag{fs: fs, old: old, new: new, w: e.stderr}, old, "deprecated: --"+new)
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
