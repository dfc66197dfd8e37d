package sshtest_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
	"golang.org/x/crypto/ssh"
)

// A scripted guest, reached through Routes at the guest's own address.
func ExampleStart() {
	srv, err := sshtest.Start(sshtest.Config{
		Users:   map[string]sshtest.User{"admin": {Password: "pw", Sudo: sshtest.SudoNoPassword}},
		Handler: sshtest.Script{"cftool -c": {Stdout: "cluster1\n"}}.Handler,
	})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	routes := sshtest.Routes{"192.0.2.10:22": srv.Addr()}

	conn, err := routes.DialContext(context.Background(), "tcp", "192.0.2.10:22")
	if err != nil {
		panic(err)
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, "192.0.2.10:22", &ssh.ClientConfig{
		User: "admin", Auth: []ssh.AuthMethod{ssh.Password("pw")},
		HostKeyCallback: ssh.FixedHostKey(srv.HostKeys()[0]),
	})
	if err != nil {
		panic(err)
	}
	client := ssh.NewClient(c, chans, reqs)
	defer client.Close()
	for _, line := range []string{"sudo -n -- cftool -c", "cftool -l"} {
		s, _ := client.NewSession()
		out, err := s.CombinedOutput(line)
		fmt.Printf("%q %v\n", out, err)
	}
	fmt.Println(srv.AuthAttempts("admin"), srv.Commands()[0].Sudo)
	// Output:
	// "cluster1\n" <nil>
	// "sh: 1: cftool: not found\n" Process exited with status 127
	// 1 true
}

// A black hole accepts and never speaks: only a deadline gets a client out.
func ExampleBlackHole() {
	bh, err := sshtest.StartBlackHole("")
	if err != nil {
		panic(err)
	}
	defer bh.Close()
	conn, err := net.Dial("tcp", bh.Addr())
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(50 * time.Millisecond))
	_, _, _, err = ssh.NewClientConn(conn, "192.0.2.10:22", &ssh.ClientConfig{HostKeyCallback: ssh.InsecureIgnoreHostKey()})
	fmt.Println(err != nil, bh.Accepted())
	// Output: true 1
}

func ExampleSplitCommand() {
	env, args, err := sshtest.SplitCommand(`LC_ALL=C sudo -n -- ssh-keygen -F '[192.0.2.1]:2222' "a \"b\""`)
	fmt.Println(env, len(args), args[5], args[6], err)
	// Output: map[LC_ALL:C] 7 [192.0.2.1]:2222 a "b" <nil>
}
