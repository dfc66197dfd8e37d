//go:build cgo

package libvirtstore_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"testing"

	"github.com/sfkvm/sfkvm/migratesetup/libvirtstore"
	"github.com/sfkvm/sfkvm/migratesetup/libvirtstore/internal/xmlrace"
)

// libNoise is what libvirt and libxml2 print on file descriptor 2 by
// themselves, past Go's os.Stderr: libvirt's default error printer
// ("libvirt: ... error : ..."), and libxml2's generic error channel
// ("Relax-NG types library ... already registered", "... failed to
// register", "Failed to allocate ...", parser and validity errors).
var libNoise = regexp.MustCompile(`(?i)libvirt:|relax-?ng|libxml|xmlschema|failed to (register|allocate)|already registered|(validity|parser|namespace|I/O) (error|warning)|external entity`)

// TestHelperProcess is not a test: raceHelper runs the test binary again
// with SFKVM_HELPER set, and this function then does, as the first
// validation work of that fresh process, what SFKVM_HELPER names, and
// exits:
//   - "defines": Open, then 16 validated defines released at the same
//     instant from 16 goroutines (each on its own thread while in C);
//   - "direct": Open, then libxml2's xmlRelaxNGInitTypes from 16 threads
//     released by a spin barrier: the same race without libvirt's jitter.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv("SFKVM_HELPER")
	if mode == "" {
		t.Skip("helper process only")
	}
	s, err := libvirtstore.Open("test:///default")
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	switch mode {
	case "defines":
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Go(func() {
				<-start
				s.Define(context.Background(), fmt.Sprintf("<domain type='test'><name>race-%d</name><memory>1024</memory><os><type>hvm</type></os><devices/></domain>", i))
			})
		}
		close(start)
		wg.Wait()
	case "direct":
		if n := xmlrace.RelaxNGInitTypes(16); n != 16 {
			fmt.Println("xmlrace:", n)
			os.Exit(4)
		}
	}
	s.Close()
	os.Exit(0)
}

// raceHelper runs the helper in a fresh process and returns what it wrote
// on its file descriptor 2.
func raceHelper(t *testing.T, mode string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SFKVM_HELPER="+mode)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("helper: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	return stderr.String()
}

// TestConcurrentValidation: libxml2 before 2.15 initialises its Relax-NG
// and XML Schema type libraries on first use without a lock, so the first
// validated defines of a process, run in parallel, printed "Relax-NG
// types library ... already registered" (or "failed to register") on
// stderr and could corrupt those tables. Open initialises them once,
// before any define can run. "direct" races libxml2's own initialisation
// from 16 threads after Open (without Open's initialisation it prints in
// most runs); "defines" is the way sfkvm meets it, rarer (libvirt's work
// around each define spreads the threads out).
func TestConcurrentValidation(t *testing.T) {
	open(t, "test:///default")
	for _, tc := range []struct {
		mode string
		runs int
	}{{"direct", 20}, {"defines", 6}} {
		t.Run(tc.mode, func(t *testing.T) {
			noisy, sample := 0, ""
			for range tc.runs {
				if out := raceHelper(t, tc.mode); libNoise.MatchString(out) {
					noisy++
					sample = out
				}
			}
			if noisy > 0 {
				t.Errorf("%d of %d processes printed libvirt/libxml2 noise on stderr, for example:\n%s", noisy, tc.runs, sample)
			}
		})
	}
}
