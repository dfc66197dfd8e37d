package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// guestReport is one guest's line in the report. It never holds a password.
type guestReport struct {
	Guest   string  `json:"guest"`
	Address string  `json:"address"`
	User    string  `json:"user"`
	OK      bool    `json:"ok"`
	Problem string  `json:"problem,omitempty"` // the failure kind, e.g. "host key changed"
	Detail  string  `json:"detail,omitempty"`
	Hint    string  `json:"hint,omitempty"`
	Seconds float64 `json:"duration_seconds"`
}

func main() {
	file := flag.String("f", kvmguests.DefaultPath, "kvmguests.conf")
	parallel := flag.Int("parallel", 32, "guests probed at once")
	timeout := flag.Duration("timeout", 10*time.Second, "handshake deadline per guest")
	flag.Parse()
	ctx := context.Background()
	reports, err := probe(ctx, *file, os.Stdin, sshcheck.Options{Parallel: *parallel, HandshakeTimeout: *timeout})
	if err != nil {
		fmt.Fprintln(os.Stderr, "probefleet:", err)
		os.Exit(2)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	enc.Encode(reports)
	for _, r := range reports {
		if !r.OK {
			os.Exit(1)
		}
	}
}

func probe(ctx context.Context, file string, stdin io.Reader, opts sshcheck.Options) ([]guestReport, error) {
	cfg, diags, err := kvmguests.ReadFile(file, kvmguests.Options{SkipFileChecks: true})
	if err != nil {
		return nil, err
	}
	if err := diags.Err(); err != nil {
		return nil, err
	}
	pw, err := cipher.ReadPassword(stdin) // one bounded line, wiped on error
	if err != nil {
		return nil, err
	}
	defer pw.Wipe()
	targets := preflight.GuestTargets(cfg.Guests(), 0, func(kvmguests.Guest) sshcheck.PasswordSource { return pw })
	p, err := sshcheck.New(opts)
	if err != nil {
		return nil, err
	}
	var reports []guestReport
	for _, r := range p.ProbeAll(ctx, targets) {
		gr := guestReport{Guest: r.Target.Name, Address: r.Target.Address, User: r.Target.User, OK: r.OK(), Seconds: r.Duration.Seconds()}
		if !r.OK() {
			gr.Problem, gr.Detail, gr.Hint = r.Reason(), r.Err.Error(), r.Hint()
		}
		reports = append(reports, gr)
	}
	return reports, nil
}
