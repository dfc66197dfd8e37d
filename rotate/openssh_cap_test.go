//go:build unix

package rotate_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/rotate"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// A host answering endlessly through the system's ssh (cat /dev/zero on
// either stream) is cut at the cap, as sfkvm's own client cuts it: an
// error of kind ErrOutputTooLarge at once, never the whole stream in
// memory (it drove sfkvm to 1.5 GiB and a kill).
func TestOpenSSHCapsOutput(t *testing.T) {
	for stream, redirect := range map[string]string{"stdout": "", "stderr": " >&2"} {
		t.Run(stream, func(t *testing.T) {
			fake := filepath.Join(t.TempDir(), "ssh")
			if err := testenv.WriteExecutable(fake, []byte("#!/bin/sh\nexec cat /dev/zero"+redirect+"\n"), 0o700); err != nil {
				t.Fatal(err)
			}
			r, _ := rotate.OpenSSH{Path: fake}.Connector()(context.Background(), "cfhost2")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			start := time.Now()
			stdout, stderr, _, err := r.RunInput(ctx, nil, "sha256sum", "--", "/etc/opt/FJSVcluster/etc/kvmguests.conf")
			var se *sshcheck.Error
			if !errors.Is(err, sshcheck.ErrOutputTooLarge) || !errors.As(err, &se) || se.Stream != stream || ctx.Err() != nil {
				t.Fatalf("err = %v (after %s)", err, time.Since(start))
			}
			if len(stdout)+len(stderr) != 0 {
				t.Errorf("%d bytes of output returned", len(stdout)+len(stderr))
			}
		})
	}
}
