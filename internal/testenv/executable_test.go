package testenv

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A program written while other goroutines fork and exec all the time
// runs at once, every time: no "text file busy". With os.WriteFile in
// its place, two seconds of this gave 2 to 7 such failures on this
// project's machine (2 cores).
func TestWriteExecutableNotBusy(t *testing.T) {
	truePath := LookPath(t, "true", "coreutils")
	dir := t.TempDir()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					exec.Command(truePath).Run()
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	runs := 0
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); runs++ {
		p := filepath.Join(dir, "tool"+strconv.Itoa(runs))
		if err := WriteExecutable(p, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := exec.Command(p).Run(); err != nil {
			t.Fatalf("run %d: %v (text file busy: %t)", runs, err, errors.Is(err, syscall.ETXTBSY))
		}
	}
	t.Logf("%d programs written and run", runs)
}
