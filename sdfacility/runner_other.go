//go:build !unix

package sdfacility

import "os/exec"

// setProcessGroup: without process groups only the command itself is killed
// when the context ends (exec.CommandContext's default).
func setProcessGroup(cmd *exec.Cmd) {}
