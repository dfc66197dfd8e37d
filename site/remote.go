package site

import (
	"context"
	"fmt"

	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// HostPreflight is one host's preflight report as the site run keeps it:
// its rows (each naming the host) and its counts.
type HostPreflight struct {
	Results []Result
	Counts  preflight.Counts
}

// ReadPreflight reads what `PROGRAM preflight --format=json ...` gave on
// a host: its stdout, stderr and exit status, as Run reads every host's
// (the same caps, ErrNotReport, ErrSchema, ErrReportLimit,
// ErrReportInvalid; ErrPreflight when it ended with neither 0 nor 1 and
// no report). Every row is named host, whatever it says. Callers that
// run preflight on a host themselves (sfkvm enroll, over the connection
// it already has, the password on stdin) read its report with it.
func ReadPreflight(ctx context.Context, host, program string, stdout, stderr []byte, status int) (HostPreflight, error) {
	r, err := decodeReport(ctx, stdout)
	if err != nil {
		if status != 0 && status != 1 {
			err = fmt.Errorf("%w: %s exited %d: %s", ErrPreflight, program, status, sshcheck.QuoteRemote(stderr))
			if status == 127 {
				err = fmt.Errorf("%w: %s is not on the host (exit 127): give its path (--sfkvm)", ErrPreflight, program)
			}
		}
		return HostPreflight{}, err
	}
	for i := range r.Results {
		r.Results[i].Host = host
	}
	return HostPreflight{Results: r.Results, Counts: r.Counts}, nil
}
