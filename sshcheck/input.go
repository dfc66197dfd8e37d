package sshcheck

import (
	"bytes"
	"context"
)

// RunInput runs a command like Run, with stdin as what the command reads:
// `chpasswd` reading "USER:PASSWORD" lines, `cat > FILE` reading a file's
// contents. A secret goes this way, never in the arguments, which other
// users of the target can read in ps. The remote side sees the end of its
// input after stdin.
func (c *Client) RunInput(ctx context.Context, stdin []byte, name string, args ...string) (stdout, stderr []byte, exitStatus int, err error) {
	line, err := QuoteCommand(name, args...)
	if err != nil {
		return nil, nil, -1, err
	}
	if !c.target.IsRoot() {
		line = "LC_ALL=C sudo -n -- " + line
	}
	return c.runLine(ctx, line, Limits{stdin: bytes.NewReader(stdin)})
}
