package main

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// stampedVersion and stampedCommit are set by the release build
// (scripts/release.sh: -ldflags "-X main.stampedVersion=1.2.0 -X
// main.stampedCommit=..."), which builds with -buildvcs=false so that the
// binary depends on the commit alone, not on the state of the checkout.
var stampedVersion, stampedCommit string

// version describes this build: a release by its stamped version and
// commit; any other build from the information the Go toolchain records
// in every binary: the module version (or "(devel)" for a build from a
// checkout), the VCS revision and whether the tree was modified. Both end
// with the Go version.
func version() string {
	if stampedVersion != "" {
		parts := []string{"sfkvm", stampedVersion}
		if stampedCommit != "" {
			parts = append(parts, stampedCommit)
		}
		return strings.Join(append(parts, runtime.Version()), " ")
	}
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
