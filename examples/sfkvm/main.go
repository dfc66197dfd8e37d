package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/sfkvm/sfkvm/internal/nodump"
)

func main() {
	// Before anything else, for every command: no core dump and no ptrace
	// by the same user. Most commands hold a secret at some point (rotate
	// and cipher a password, preflight, probe, site, enroll and demo
	// passwords or keys, those reading --key, --identity or a password
	// file), and one call here cannot be forgotten by a command or a flag
	// added later; no command needs a core dump (a crash still prints its
	// Go traceback).
	if err := nodump.Protect(); err != nil {
		fmt.Fprintf(os.Stderr, "sfkvm: cannot keep secrets out of core dumps: %v\n", err)
		os.Exit(exitNoPerm)
	}
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
	// cmd is the command the user ran: every error starts with
	// "sfkvm CMD:", also from a helper that several commands share.
	cmd string
}

// name is the prefix of the command's messages, "sfkvm CMD".
func (e *env) name() string {
	if e.cmd == "" {
		return "sfkvm"
	}
	return "sfkvm " + e.cmd
}

// did is what a command would have done with a password that it did not
// get: "encrypted" for cipher, "changed" for the others.
func (e *env) did() string {
	if e.cmd == "cipher" {
		return "encrypted"
	}
	return "changed"
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
		if len(args) == 3 && args[0] == "help" && args[1] == "--man" {
			// The manual pages, made from this same help text.
			if err := writeManPages(ctx, args[2]); err != nil {
				fmt.Fprintf(stderr, "sfkvm help: %v\n", err)
				if errors.Is(err, fs.ErrPermission) {
					return exitNoPerm
				}
				return exitNoInput
			}
			return exitOK
		}
		if len(args) > 1 && args[0] == "help" {
			return helpFor(ctx, args[1], stdin, stdout, stderr)
		}
		usage(stdout)
		return exitOK
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, version())
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		unknownCommand(stderr, args[0])
		return exitUsage
	}
	e.cmd = args[0]
	code := c.run(ctx, e, args[1:])
	if interrupted(ctx) {
		// Whatever the command made of the cancelled context, the run ends
		// one way, with the same last line and code.
		fmt.Fprintln(stderr, interruptedMessage)
		return exitInterrupted
	}
	return code
}

// helpFor prints one command's usage and flags on stdout (asked for, so
// not a diagnostic): the command's own -h, which prints the same.
func helpFor(ctx context.Context, name string, stdin io.Reader, stdout, stderr io.Writer) int {
	c, ok := commands[name]
	if !ok {
		unknownCommand(stderr, name)
		return exitUsage
	}
	return c.run(ctx, &env{stdin: stdin, stdout: stdout, stderr: stderr, cmd: name}, []string{"-h"})
}

// unknownCommand is the one line for a command that does not exist, with
// where to find the list: not the whole usage, whose 24 lines hid it.
func unknownCommand(w io.Writer, name string) {
	fmt.Fprintf(w, "sfkvm: unknown command %q (sfkvm help: the commands)\n", name)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: sfkvm COMMAND [flags]    (sfkvm help COMMAND: its flags; sfkvm --version)")
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
