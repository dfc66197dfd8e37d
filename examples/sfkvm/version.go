package main

import (
	"runtime/debug"
	"strings"
)

// version describes this build from the information the Go toolchain
// records in every binary: the module version (or "(devel)" for a build
// from a checkout), the VCS revision and whether the tree was modified,
// and the Go version.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "sfkvm (no build information)"
	}
	parts := []string{"sfkvm", bi.Main.Version}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if modified == "true" {
			rev += "+modified"
		}
		parts = append(parts, rev)
	}
	return strings.Join(append(parts, bi.GoVersion), " ")
}
