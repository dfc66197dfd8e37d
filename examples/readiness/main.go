package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/count"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/sshcheck"
)

func main() {
	cfg := preflight.Config{}
	flag.StringVar(&cfg.File, "f", kvmguests.DefaultPath, "kvmguests.conf")
	flag.Parse()
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	pw := cipher.SecretFromString(strings.TrimRight(line, "\r\n"))
	cfg.Password = func(kvmguests.Guest) sshcheck.PasswordSource { return pw }
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if !report(os.Stdout, preflight.Run(ctx, cfg)) {
		os.Exit(1)
	}
}

// report prints every FAIL and WARN with its fix, then the verdict, and
// says whether the cluster is ready.
func report(w io.Writer, rep preflight.Report) bool {
	for _, r := range rep.Results {
		if r.Status == preflight.Fail || r.Status == preflight.Warn {
			fmt.Fprintf(w, "%-4s step %-3s %-15s %s: %s\n", r.Status, r.Step, r.Check, r.Target, r.Reason)
			if r.Fix != "" {
				fmt.Fprintf(w, "     fix: %s\n", r.Fix)
			}
		}
	}
	ready := !rep.Failed()
	fmt.Fprintf(w, "ready: %v (%s held, %d failed, %d could not run)\n", ready, count.N(rep.Counts.OK+rep.Counts.Warn, "check", "checks"), rep.Counts.Fail, rep.Counts.Skip)
	return ready
}
