//go:build !unix

package rotate

import "os/exec"

// ownProcessGroup: no process groups here; the default cancellation kills
// ssh alone.
func ownProcessGroup(*exec.Cmd) {}
