package main

import (
	"fmt"
	"strings"
)

// toolPath is the path of a vendor tool given with a flag (--sdtool,
// --cftool, --sfkvmtool). It is a path, never a name to look up: exec
// searches PATH for a name without '/', so "table.txt" would run whatever
// PATH holds under that name; it is ./table.txt instead. A name with a
// '/' is used as it is. An empty one is refused.
func toolPath(flagName, p string) (string, error) {
	switch {
	case p == "":
		return "", fmt.Errorf("--%s: empty path", flagName)
	case !strings.Contains(p, "/"):
		return "./" + p, nil
	}
	return p, nil
}
