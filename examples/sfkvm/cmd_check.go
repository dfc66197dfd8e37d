package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"runtime/debug"

	"github.com/sfkvm/sfkvm/diag"
	"github.com/sfkvm/sfkvm/kvmguests"
)

func init() {
	commands["check"] = command{
		summary: "check kvmguests.conf like sfkvmtool -c, and more strictly",
		run:     runCheck,
	}
}

func runCheck(_ context.Context, e *env, args []string) int {
	fs := newFlags(e, "check", "[-f FILE] [--no-perm] [--allow-sealed] [--format=text|json]")
	file := fs.String("f", kvmguests.DefaultPath, "the kvmguests.conf to check")
	noPerm := fs.Bool("no-perm", false, "do not check owner, mode and symlink (for a copy of the file)")
	allowSealed := fs.Bool("allow-sealed", false, "accept sfkvm sealed tokens, which PRIMECLUSTER cannot read (demo and tests)")
	format := formatFlag(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "sfkvm check: unexpected argument %q%s\n", fs.Arg(0), useFileFlag(fs))
		return exitUsage
	}
	if *file == "" {
		fmt.Fprintln(e.stderr, "sfkvm check: -f needs a file name (leave -f out to check "+kvmguests.DefaultPath+")")
		return exitUsage
	}
	fileGiven := false
	fs.Visit(func(f *flag.Flag) { fileGiven = fileGiven || f.Name == "f" })
	defer relaxGC()()
	opts := kvmguests.Options{SkipFileChecks: *noPerm, AllowSealed: *allowSealed}
	if *format == "text" {
		// Only the verdict is printed: check without keeping the lines.
		diags, err := kvmguests.CheckFile(*file, opts)
		if err != nil {
			return checkInputError(e, *file, fileGiven, err)
		}
		return printCheck(e, diags)
	}
	// Only the guests are shown: keep no other line (a large file of broken
	// lines would otherwise be held whole).
	guests, diags, err := kvmguests.ReadGuests(*file, opts)
	if err != nil {
		return checkInputError(e, *file, fileGiven, err)
	}
	code := checkExitCode(diags)
	// Names and messages can carry any byte of the file: the report keeps
	// the ones that are not UTF-8 visible as \xNN.
	rep := kvmguests.NewCheckReport(*file, guests, diags)
	if err := writeJSON(e.stdout, rep); err != nil {
		return exitFailed
	}
	return code
}

// checkInputError says why the file could not be read (exit 66). A
// missing file is named without the system call that found it missing,
// and, when it is the default path, with how to name another: a newcomer
// on a machine without PRIMECLUSTER meets this first.
func checkInputError(e *env, file string, given bool, err error) int {
	switch {
	case !errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(e.stderr, "sfkvm check: %v\n", err)
	case given:
		fmt.Fprintf(e.stderr, "sfkvm check: %s: no such file\n", file)
	default:
		fmt.Fprintf(e.stderr, "sfkvm check: no file at the default path %s (where PRIMECLUSTER reads it); name the file to check with -f FILE\n", file)
	}
	return exitNoInput
}

// printCheck prints the text form: problems on stderr, and the vendor's
// notice as the last stdout line when there is no error.
func printCheck(e *env, diags diag.Diagnostics) int {
	code := checkExitCode(diags)
	for _, d := range diags {
		fmt.Fprintln(e.stderr, d)
	}
	if code == exitOK {
		fmt.Fprintln(e.stdout, kvmguests.SuccessNotice)
	}
	return code
}

// checkExitCode: 0 without errors (warnings allowed); 77 when the only
// errors are the file's owner, mode or type; 65 for any other error.
func checkExitCode(diags diag.Diagnostics) int {
	code := exitOK
	for _, d := range diags {
		if d.Severity != diag.Error {
			continue
		}
		if !kvmguests.IsFileProblem(d.Code) {
			return exitConfig
		}
		code = exitNoPerm
	}
	return code
}

// relaxGC turns the garbage collector off while a check runs, and returns
// the function that restores it. Almost everything a check allocates (the
// lines, the keys of the rules across lines) stays live until it ends, so
// collecting on the way only costs time: on a 100,000-line file, a fifth of
// it, for no smaller peak. The memory limit still makes the collector run
// before a huge file takes more than 256 MiB. A GOGC or GOMEMLIMIT set by
// the user wins.
func relaxGC() (restore func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	percent := debug.SetGCPercent(-1)
	limit := debug.SetMemoryLimit(256 << 20)
	return func() {
		debug.SetMemoryLimit(limit)
		debug.SetGCPercent(percent)
	}
}
