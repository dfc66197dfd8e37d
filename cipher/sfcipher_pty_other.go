//go:build !linux

package cipher

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
)

// errNoPTYDriver: sfcipher is a Linux tool, and its driver here uses
// Linux's pseudo-terminal calls (the echo check reads the terminal's modes
// with TCGETS). Sfcipher.Encrypt returns it, wrapped in an
// *SfcipherError, on any other system.
var errNoPTYDriver = fmt.Errorf("driving sfcipher on a pseudo-terminal is not supported on this system (%s), only on Linux: %w", runtime.GOOS, errors.ErrUnsupported)

func startOnPTY(*exec.Cmd) (*os.File, error) { return nil, errNoPTYDriver }

func echoOn(*os.File) (bool, error) { return false, errNoPTYDriver }

func killGroup(*exec.Cmd) {}
