// Command sfkvm is the reference CLI of the sfkvm module: it composes the
// packages, one subcommand per step of PRIMECLUSTER's F.2.2 procedure.
// Run "sfkvm help" for the list of commands and their exit codes.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	o := &onSignals{cancel: cancel, exit: os.Exit, stderr: os.Stderr, grace: signalGrace}
	go o.watch(sigs)
	o.finish(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// env is what every subcommand gets: the streams, so the whole CLI runs
// in-process in tests.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// command is one subcommand. Each lives in its own cmd_*.go file.
type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) int
}

// commands is filled by the init function of each cmd_*.go file, so that a
// subcommand is added or removed with its own file.
var commands = map[string]command{}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "sfkvm: unknown command %q\n", args[0])
		usage(stderr)
		return exitUsage
	}
	code := c.run(ctx, e, args[1:])
	if interrupted(ctx) {
		// Whatever the command made of the cancelled context, the run ends
		// one way, with the same last line and code.
		fmt.Fprintln(stderr, interruptedMessage)
		return exitInterrupted
	}
	return code
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: sfkvm COMMAND [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-13s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, exitCodeHelp)
}
