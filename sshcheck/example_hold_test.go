package sshcheck_test

import (
	"context"
	"fmt"
	"io"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/sshcheck"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// Hold keeps a command running, here one that holds a lock until its
// input ends: it returns once the command printed its ready line, and the
// command ends at Release (or when the connection ends).
func ExampleClient_Hold() {
	ended := make(chan struct{})
	hold := func(c sshtest.Command) sshtest.Reply {
		return sshtest.Reply{Stdout: "LOCKED\n", Stream: func(io.Writer, io.Writer) {
			io.Copy(io.Discard, c.Stdin) // until the client ends its input
			close(ended)
		}}
	}
	users := map[string]sshtest.User{"root": {Password: "pw"}}
	p, _, _, done := lab(sshtest.Config{Users: users, Handler: hold}, sshcheck.TrustUnknown)
	defer done()
	c, err := p.Dial(context.Background(), sshcheck.Target{Address: "192.0.2.10", User: "root", Password: cipher.SecretFromString("pw")})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	h, _, _, _, err := c.Hold(context.Background(), "LOCKED", "flock", "-n", "/run/x.lock", "-c", "echo LOCKED; exec cat >/dev/null")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("held")
	fmt.Println("released:", h.Release())
	<-ended
	fmt.Println("the command ended")
	// Output:
	// held
	// released: <nil>
	// the command ended
}
