package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/site"
)

// maxExposure is the highest overall exposure systemd-analyze security
// may give a service of dist/systemd; both were MEDIUM (6.4 and 5.4)
// before they were hardened.
const maxExposure = 2.5

var overallExposure = regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`)

// TestSystemdUnitsExposure: systemd's own score of each service's
// sandbox, offline, is at most maxExposure. --threshold makes
// systemd-analyze exit non-zero above it; the score is parsed too, so a
// failure says how far off it is.
func TestSystemdUnitsExposure(t *testing.T) {
	analyze := testenv.LookPath(t, "systemd-analyze", "systemd")
	for _, unit := range []string{"sfkvm-preflight.service", "sfkvm-site.service", "sfkvm-drill.service"} {
		t.Run(unit, func(t *testing.T) {
			threshold := fmt.Sprintf("--threshold=%d", int(maxExposure*10))
			cmd := exec.Command(analyze, "security", "--offline=true", threshold, "--no-pager", filepath.Join(unitDir, unit))
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			m := overallExposure.FindSubmatch(out.Bytes())
			if m == nil {
				t.Fatalf("systemd-analyze security %s: %v, no overall exposure in its output:\n%s%s", unit, err, out.Bytes(), errb.Bytes())
			}
			score, perr := strconv.ParseFloat(string(m[1]), 64)
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatalf("systemd-analyze security %s: %v", unit, err)
			}
			if perr != nil || score > maxExposure || err != nil {
				t.Errorf("%s: overall exposure %s (want at most %.1f; systemd-analyze: %v); what it counts against it:\n%s",
					unit, m[1], maxExposure, err, exposed(out.Bytes()))
			}
		})
	}
}

// exposed is the lines of systemd-analyze security's table that count
// against the score.
func exposed(out []byte) []byte {
	var b bytes.Buffer
	for _, l := range bytes.Split(out, []byte("\n")) {
		if bytes.HasPrefix(l, []byte("✗")) {
			b.Write(l)
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// The site unit's memory bound and its comment on the per-host timeout
// agree with what sfkvm site does.
func TestSystemdSiteUnitFacts(t *testing.T) {
	if got := unitValue(t, "sfkvm-site.service", "MemoryMax"); got != "512M" {
		t.Errorf("MemoryMax=%s, want 512M (twice the peak expected of a site run)", got)
	}
	b, err := os.ReadFile(filepath.Join(unitDir, "sfkvm-site.service"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`bounds each host \(--timeout, (\d+) minutes\)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("sfkvm-site.service no longer says how long site waits for each host")
	}
	if n, _ := strconv.Atoi(string(m[1])); time.Duration(n)*time.Minute != site.DefaultHostTimeout {
		t.Errorf("sfkvm-site.service says --timeout is %s minutes; site.DefaultHostTimeout is %v", m[1], site.DefaultHostTimeout)
	}
}
