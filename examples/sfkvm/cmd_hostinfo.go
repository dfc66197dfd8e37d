package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sfkvm/sfkvm/diag"
	"github.com/sfkvm/sfkvm/internal/jsonwire"
	"github.com/sfkvm/sfkvm/migratesetup"
)

func init() {
	commands["hostinfo"] = command{
		summary: "inside a guest: print the host it runs on (--watch: each change)",
		run:     runHostinfo,
	}
}

const hostinfoSynopsis = `[--device PATH] [--watch [--interval D]] [--format=text|json]`

// hostinfoRoot is the file system root under which the disk is looked for
// (sys/block/*/serial, dev/NAME); tests point it at a fake tree.
var hostinfoRoot = "/"

func runHostinfo(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "hostinfo", hostinfoSynopsis)
	device := fs.String("device", "", "read this device `PATH` (a block device or a regular file) instead of the disk found by its serial ("+migratesetup.Serial+") in /sys/block")
	watch := fs.Bool("watch", false, "keep reading, and print a line whenever what the disk shows changes (after a live migration); ends on SIGINT or SIGTERM")
	interval := fs.Duration("interval", time.Second, "with --watch: how often to read the disk")
	format := formatFlag(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	localPaths(fs, "device")
	if fs.NArg() != 0 {
		fmt.Fprintf(e.stderr, "sfkvm hostinfo: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return exitUsage
	}
	if *interval <= 0 {
		fmt.Fprintln(e.stderr, "sfkvm hostinfo: --interval must be positive")
		return exitUsage
	}
	dev := *device
	if dev == "" {
		d, err := migratesetup.FindGuestDevice(hostinfoRoot)
		if err != nil {
			return hostinfoError(e.stderr, err)
		}
		dev = d
	}
	info, err := migratesetup.ReadGuest(ctx, dev)
	if err != nil {
		return hostinfoError(e.stderr, err)
	}
	if !*watch {
		if err := printReading(e.stdout, *format, false, dev, info, time.Time{}); err != nil {
			return exitFailed
		}
		return exitOK
	}

	// Watching: the first reading, then a line for each change; a failed
	// reading is reported on stderr once (until it changes) and the watch
	// goes on.
	if err := printReading(e.stdout, *format, true, dev, info, time.Now()); err != nil {
		return exitFailed
	}
	last, lastErr := info, ""
	t := time.NewTicker(*interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return exitInterrupted
		case <-t.C:
		}
		now, err := migratesetup.ReadGuest(ctx, dev)
		if ctx.Err() != nil {
			return exitInterrupted
		}
		if err != nil {
			if err.Error() != lastErr {
				stamp := time.Now().UTC().Format(time.RFC3339)
				for _, line := range errorLines(err) {
					fmt.Fprintf(e.stderr, "sfkvm hostinfo: %s: %s\n", stamp, line)
				}
				lastErr = err.Error()
			}
			continue
		}
		if now != last || lastErr != "" {
			if err := printReading(e.stdout, *format, true, dev, now, time.Now()); err != nil {
				return exitFailed
			}
			last, lastErr = now, ""
		}
	}
}

// printReading prints one reading: a line of key=value pairs (with a time
// stamp first when watching), or JSON (indented alone, one object a line
// when watching).
func printReading(w io.Writer, format outputFormat, watching bool, dev string, h migratesetup.HostInfo, at time.Time) error {
	if format == "json" {
		r := migratesetup.Reading{Schema: migratesetup.ReadingSchema, Device: dev, Host: h}
		if watching {
			t := at.UTC().Truncate(time.Millisecond)
			r.Time = &t
			b, err := jsonwire.Marshal(r)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(w, "%s\n", b)
			return err
		}
		return writeJSON(w, r)
	}
	stamp := ""
	if watching {
		stamp = at.UTC().Format(time.RFC3339) + " "
	}
	_, err := fmt.Fprintf(w, "%shost-cfname=%s host-ip=%s weight-link=%s device=%s\n", stamp, h.CFName, h.IP, h.WeightLink(), dev)
	return err
}

// hostinfoError prints err and returns its exit code: 66 when the disk is
// absent or unreadable (with what to check) or the path is not a disk
// (migratesetup.ErrNotDisk: a FIFO, a character device, a folder), 77 when reading it is not
// permitted, 65 when what it holds does not parse.
func hostinfoError(w io.Writer, err error) int {
	var ds diag.Diagnostics
	switch {
	case errors.As(err, &ds):
		for _, line := range errorLines(err) {
			fmt.Fprintf(w, "sfkvm hostinfo: %s\n", line)
		}
		return exitConfig
	case errors.Is(err, os.ErrPermission):
		fmt.Fprintf(w, "sfkvm hostinfo: %v (reading a disk needs root: run it with sudo)\n", err)
		return exitNoPerm
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	fmt.Fprintf(w, "sfkvm hostinfo: %v\n", err)
	return exitNoInput
}

// errorLines is err as lines: one per diagnostic when it is Diagnostics.
func errorLines(err error) []string {
	var ds diag.Diagnostics
	if !errors.As(err, &ds) {
		return []string{err.Error()}
	}
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.Error()
	}
	return lines
}
