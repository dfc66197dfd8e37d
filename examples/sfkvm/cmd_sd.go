package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/sfkvm/sfkvm/internal/table"
	"github.com/sfkvm/sfkvm/sdfacility"
)

func init() {
	commands["sd"] = command{
		summary: "drive the shutdown facility (sdtool -s/-e/-b): sd status|start|stop|restart",
		run:     runSD,
	}
}

const sdSynopsis = "status|start|stop|restart [--sdtool PATH] [--timeout D] [--poll D] [--format=text|json]"

// runSD: status prints the table; start and restart take their steps
// (shown on stderr), wait until every agent is ready and print the final
// table; stop runs sdtool -e. After a step, the table shown is always one
// read after it (a failed or hung step included), or the output says it
// could not be read. Exit 0 when every agent is ready (stop: when sdtool -e
// worked), 1 when one failed, the facility does not run or is not
// confirmed running, or the wait ran out, 69 when sdtool is missing.
func runSD(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "sd", sdSynopsis)
	sdtool := fs.String("sdtool", sdfacility.DefaultSDTool, "`path` of sdtool")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after `duration` (the whole command, waits included)")
	poll := fs.Duration("poll", sdfacility.DefaultPollInterval, "first pause between two sdtool -s while waiting (`duration`; doubles up to 10s)")
	format := formatFlag(fs)
	// The action may come before or after the flags.
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	localPaths(fs, "sdtool")
	if fs.NArg() == 0 {
		fmt.Fprintln(e.stderr, "sfkvm sd: missing action: status, start, stop or restart")
		fs.Usage()
		return exitUsage
	}
	action := fs.Arg(0)
	if fs.NArg() > 1 {
		fmt.Fprintf(e.stderr, "sfkvm sd: unexpected argument %q\n", fs.Arg(1))
		return exitUsage
	}
	// A zero or negative bound would end the command before it starts, or
	// poll without a pause: say so rather than guess what was meant.
	if *timeout <= 0 {
		fmt.Fprintf(e.stderr, "sfkvm sd: --timeout %v: want a positive duration\n", *timeout)
		return exitUsage
	}
	if *poll <= 0 {
		fmt.Fprintf(e.stderr, "sfkvm sd: --poll %v: want a positive duration\n", *poll)
		return exitUsage
	}
	path, err := toolPath("sdtool", *sdtool)
	if err != nil {
		fmt.Fprintf(e.stderr, "sfkvm sd: %v\n", err)
		return exitUsage
	}
	res := &sdfacility.Report{Schema: sdfacility.Schema, Action: action, Steps: []sdfacility.Action{}}
	f := &sdfacility.Facility{
		SDTool:       path,
		PollInterval: *poll,
		OnAction: func(a sdfacility.Action) {
			res.Steps = append(res.Steps, a)
			fmt.Fprintf(e.stderr, "sfkvm sd: %s\n", a)
		},
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	var recheckErr error // the read after a step, when it failed
	switch action {
	case "status":
		res.Status, err = f.Status(ctx)
	case "start":
		if err = f.Start(ctx); err == nil {
			res.Status, err = f.WaitReady(ctx)
		}
	case "stop":
		if err = f.Stop(ctx); err == nil {
			res.Status, recheckErr = f.Recheck(ctx)
		}
	case "restart":
		res.Status, err = f.Restart(ctx)
	default:
		fmt.Fprintf(e.stderr, "sfkvm sd: unknown action %q: want status, start, stop or restart\n", action)
		return exitUsage
	}
	if se := (*sdfacility.StepError)(nil); errors.As(err, &se) {
		res.Status, recheckErr = se.Status, se.StatusErr
	}
	if recheckErr != nil {
		res.StatusError = recheckErr.Error()
	}
	res.Ready = res.Status.Ready()
	code := exitOK
	switch {
	case errors.Is(err, sdfacility.ErrToolMissing):
		code = exitUnavailable
	case err != nil:
		code = exitFailed
	case action != "stop" && !res.Ready:
		code = exitFailed
	}
	if err != nil {
		res.Error = err.Error()
	}
	if *format == "json" {
		if werr := writeJSON(e.stdout, res); werr != nil {
			fmt.Fprintf(e.stderr, "sfkvm sd: %v\n", werr)
			return exitFailed
		}
	} else if res.Status != nil && len(res.Status.Agents) > 0 {
		printSDTable(e.stdout, res.Status)
	}
	// The fix for a missing sdtool: name one, or, when --sdtool named it,
	// not the flag already given but what went wrong with it.
	missing := "use --sdtool PATH"
	if givenFlags(fs)["sdtool"] {
		missing = "check --sdtool: a name without \"/\" is a file in the working folder, not one looked up in PATH"
	}
	reportSD(e.stderr, action, res, err, recheckErr, missing)
	return code
}

// reportSD explains on stderr what went wrong, and every problem found in
// sdtool's output; missing is the fix for an sdtool that is not there.
func reportSD(w io.Writer, action string, res *sdfacility.Report, err, recheckErr error, missing string) {
	// A non-zero sdtool -s is "not running"; its missing table is no news.
	if res.Status != nil && res.Status.ExitStatus == 0 {
		for _, d := range res.Status.Problems {
			fmt.Fprintf(w, "%s\n", d)
		}
	}
	switch {
	case errors.Is(err, sdfacility.ErrToolMissing):
		fmt.Fprintf(w, "sfkvm sd: sdtool not found: %v (%s)\n", err, missing)
	case err != nil:
		fmt.Fprintf(w, "sfkvm sd: %v\n", err)
		if ce := (*sdfacility.CommandError)(nil); errors.As(err, &ce) && action == "restart" && len(ce.Args) == 1 && ce.Args[0] == "-e" {
			fmt.Fprintln(w, "sfkvm sd: sdtool -b was not sent because sdtool -e failed")
		}
		if errors.Is(err, sdfacility.ErrUnconfirmed) && action == "restart" {
			fmt.Fprintln(w, "sfkvm sd: neither sdtool -e nor sdtool -b was sent: whether the facility runs is not known")
		}
	case action == "stop":
		fmt.Fprintln(w, "sfkvm sd: the shutdown facility was stopped")
		if res.Status != nil && len(res.Status.Agents) > 0 {
			fmt.Fprintln(w, "sfkvm sd: sdtool -s still lists agents: it may still be stopping")
		}
	case res.Ready:
		fmt.Fprintln(w, "sfkvm sd: every agent is initialised and tested")
	default:
		fmt.Fprintf(w, "sfkvm sd: %s\n", res.Status.Summary())
	}
	// What sdtool -s said after a failed step (the table, if any, is on
	// stdout), or that it could not say.
	var se *sdfacility.StepError
	switch {
	case action != "status" && res.Status == nil && recheckErr != nil:
		fmt.Fprintf(w, "sfkvm sd: the state after it could not be read: %v\n", recheckErr)
	case errors.As(err, &se):
		fmt.Fprintf(w, "sfkvm sd: sdtool -s now: %s\n", res.Status.Summary())
	}
}

// printSDTable prints sdtool -s's table again, aligned. Its words are
// sdtool's output, so each cell goes through table.Cell.
func printSDTable(w io.Writer, st *sdfacility.Status) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Cluster Host\tAgent\tSA State\tShut State\tTest State\tInit State")
	for _, a := range st.Agents {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", table.Cell(a.Node), table.Cell(a.Agent),
			table.Cell(string(a.SAState)), table.Cell(string(a.ShutState)), table.Cell(string(a.TestState)), table.Cell(string(a.InitState)))
	}
	tw.Flush()
}
