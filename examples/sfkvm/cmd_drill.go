package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/sfkvm/sfkvm/migrate"
)

func init() {
	commands["drill"] = command{
		summary: "prove live migration on the real cluster: the guest to each other host in turn and back home, every leg checked and verified",
		run:     runDrill,
	}
}

func runDrill(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "drill", "DOMAIN --hosts HOST,... [--guard] [--key FILE | --password-stdin] [flags]")
	f := addMigrateFlags(fs)
	hosts := fs.String("hosts", "", "the other hosts, comma-separated, as this host reaches them over SSH: the guest visits each and comes back")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	localPaths(fs, "f", "key", "known-hosts", "host-known-hosts", "host-password-file", "identity", "state-dir", "textfile", "lab-routes")
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(e.stderr, "sfkvm drill: %s\n", fmt.Sprintf(format, a...))
		return code
	}
	var list []string
	for _, h := range strings.Split(*hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			list = append(list, h)
		}
	}
	switch {
	case fs.NArg() != 1:
		return fail(exitUsage, "give one DOMAIN (sfkvm drill DOMAIN --hosts HOST,...)")
	case len(list) == 0:
		return fail(exitUsage, "give --hosts HOST,...: the hosts the guest visits")
	}
	p, cleanup, code := migratePlan(ctx, e, f, false)
	if code != exitOK {
		return code
	}
	defer cleanup()
	p.Domain = fs.Arg(0)
	line := &progressLine{w: e.stderr}
	p.Progress, p.Log = line.progress, line.log
	release := holdGrace() // each leg's after steps run past the signal
	d := migrate.Drill(ctx, p, list)
	release()
	line.end()
	if *f.textfile != "" && !interrupted(ctx) {
		if err := writeMigrateMetrics(*f.textfile, d.Legs, d); err != nil {
			fmt.Fprintf(e.stderr, "sfkvm drill: --textfile: %v\n", err)
		}
	}
	if *f.format == "json" {
		writeJSON(e.stdout, d)
	} else {
		d.WriteText(e.stdout)
	}
	if !d.OK {
		return exitFailed
	}
	return exitOK
}
