package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
)

func init() {
	commands["demo"] = command{
		summary: "run the whole procedure against a built-in lab, in seconds, leaving nothing behind",
		run:     runDemo,
	}
}

// The demo's one deliberate fault: guest22's user may use sudo only with a
// password, so its sudo check FAILs with the fix printed.
const demoBrokenGuest = "guest22"

func runDemo(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "demo", "[--timeout D]")
	timeout := fs.Duration("timeout", time.Minute, "bound on the whole demo")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "sfkvm-demo-")
	if err != nil {
		fmt.Fprintf(e.stderr, "sfkvm demo: %v\n", err)
		return exitUnavailable
	}
	defer os.RemoveAll(dir)

	fmt.Fprintf(e.stdout, "sfkvm demo: a lab in %s\n", dir)
	fmt.Fprintln(e.stdout, "   four guests (the manual's example) as in-process SSH servers at 192.0.2.x, routed to 127.0.0.1;")
	fmt.Fprintln(e.stdout, "   this host cfhost1 (192.0.2.1) and another host cfhost2 (192.0.2.2); a simulated shutdown facility;")
	fmt.Fprintf(e.stdout, "   one fault on purpose: %s's user needs a password for sudo (no NOPASSWD)\n", demoBrokenGuest)
	faults := labFaults{sudoPassword: demoBrokenGuest}
	l, err := newLab(dir, faults)
	if err != nil {
		fmt.Fprintf(e.stderr, "sfkvm demo: building the lab: %v\n", err)
		return exitUnavailable
	}
	defer l.Close()
	rows, err := l.walk(ctx, e.stdout, faults)
	if err != nil {
		fmt.Fprintf(e.stderr, "sfkvm demo: %v\n", err)
		return exitFailed
	}
	if bad := demoSurprises(rows, l.skipFileChecks()); len(bad) > 0 {
		fmt.Fprintln(e.stdout, "\ndemo: the lab did NOT behave as expected:")
		for _, b := range bad {
			fmt.Fprintln(e.stdout, "   "+b)
		}
		return exitFailed
	}
	fmt.Fprintf(e.stdout, "\ndemo: every step behaved as the lab expects, including %s's FAIL.\n", demoBrokenGuest)
	fmt.Fprintln(e.stdout, "On a real host: sfkvm check, sfkvm probe --trust, sfkvm sd restart, sfkvm migratesetup -c/-s, sfkvm preflight.")
	return exitOK
}

// demoSurprises compares the preflight rows with what the lab must give:
// the broken guest's sudo FAILs (and what needs sudo there is skipped), the
// vendor's checker is absent, the sealed tokens draw a warning, and every
// other row is OK.
func demoSurprises(rows []row, noPerm bool) []string {
	var bad []string
	sawFail := false
	for _, r := range rows {
		want := verdictOK
		broken := strings.HasPrefix(r.Target, demoBrokenGuest+" ")
		switch {
		case r.sec == secSudo && broken:
			want = verdictFail
			if !strings.Contains(r.Reason, "sudo needs a password") || !strings.Contains(r.Fix, "NOPASSWD") {
				bad = append(bad, fmt.Sprintf("%s %s: reason %q, fix %q", r.Check, r.Target, r.Reason, r.Fix))
			}
			sawFail = true
		case (r.sec == secGuestNames || r.sec == secGuestKnowsHost) && broken:
			want = verdictSkip
		case r.sec == secVendorCheck:
			want = verdictSkip
		case r.sec == secConfig:
			want = verdictWarn // sealed tokens, accepted for the lab
		case r.sec == secFileMode && noPerm:
			want = verdictSkip
		}
		if r.Verdict != want {
			bad = append(bad, fmt.Sprintf("%s %s %s: %s, want %s (%s)", r.Step, r.Check, r.Target, r.Verdict, want, r.Reason))
		}
	}
	if !sawFail {
		bad = append(bad, "no sudo row for "+demoBrokenGuest)
	}
	return bad
}
