package sshtest

import (
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// TestLatency: with Latency, a login and a command take at least the
// round trips they need times the latency, and the command's output and
// exit status still arrive whole.
func TestLatency(t *testing.T) {
	const latency = 40 * time.Millisecond
	for _, d := range []time.Duration{0, latency} {
		srv, err := Start(Config{Users: map[string]User{"u": {Password: "pw"}}, Latency: d})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		start := time.Now()
		c, err := ssh.Dial("tcp", srv.Addr(), &ssh.ClientConfig{User: "u", Auth: []ssh.AuthMethod{ssh.Password("pw")},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.Output("echo hello")
		took := time.Since(start)
		c.Close()
		if err != nil || string(out) != "hello\n" {
			t.Fatalf("latency %v: %q, %v", d, out, err)
		}
		// Banner, key exchange, service, none, password, channel, exec:
		// at least six answers from the server, each held d.
		if d > 0 && took < 6*d {
			t.Errorf("latency %v: a login and a command took %v, less than 6 round trips", d, took)
		}
		t.Logf("latency %v: %v", d, took)
	}
}
