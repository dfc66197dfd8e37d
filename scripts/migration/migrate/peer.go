package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/crypto/ssh"

	"github.com/sfkvm/sfkvm/internal/migrationtest"
	"github.com/sfkvm/sfkvm/migrate/migratetest"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// peer serves the guest cluster's other node: an in-process SSH guest
// (package sshtest) on the test's network, with the same simulated node
// as the QEMU guest (migrationtest.NodeHandler), its disk read the host information file -hostinfo of the host it
// is taken to run on. It writes -dir/known_hosts (its key at -addr) and
// serves until SIGTERM or SIGINT, then prints the commands it ran.
func peer(args []string) error {
	fs := flag.NewFlagSet("peer", flag.ExitOnError)
	addr := fs.String("addr", "", "address:port to listen on")
	user := fs.String("user", "", "the login")
	pwFile := fs.String("password-file", "", "a file holding the password")
	node := fs.String("node", "", "this node's CF name")
	cluster := fs.String("cluster", "", "the cluster's name")
	nodes := fs.String("nodes", "", "every node of the cluster, comma-separated")
	hostinfo := fs.String("hostinfo", "", "the host information file this node's disk shows")
	dir := fs.String("dir", "", "a folder for its known_hosts")
	logFile := fs.String("log", "", "append each command's words to this file as it comes (the test waits on it)")
	fs.Parse(args)
	if *addr == "" || *user == "" || *pwFile == "" || *node == "" || *cluster == "" || *nodes == "" || *hostinfo == "" || *dir == "" || fs.NArg() != 0 {
		usage()
	}
	pw, err := os.ReadFile(*pwFile)
	if err != nil {
		return err
	}
	c := migratetest.New(*cluster, strings.Split(*nodes, ",")...)
	c.Do(*node, func(n *migratetest.Node) { n.Config = []byte(migrationtest.ClusterConfig(*cluster)) })
	key, err := sshtest.NewHostKey("ed25519")
	if err != nil {
		return err
	}
	srv, err := sshtest.Start(sshtest.Config{
		Users:    map[string]sshtest.User{*user: {Password: strings.TrimRight(string(pw), "\n"), Sudo: sshtest.SudoNoPassword}},
		HostKeys: []ssh.Signer{key},
		Handler:  logCommands(*logFile, migrationtest.NodeHandler(c, *node, func() ([]byte, error) { return os.ReadFile(*hostinfo) })),
		Addr:     *addr,
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	host, _, _ := strings.Cut(*addr, ":")
	line := fmt.Sprintf("%s %s", host, ssh.MarshalAuthorizedKey(key.PublicKey()))
	if err := os.WriteFile(filepath.Join(*dir, "known_hosts"), []byte(line), 0o644); err != nil {
		return err
	}
	fmt.Printf("%s%s\n", migrationtest.HostKeyPrefix, strings.TrimSpace(fmt.Sprintf("%s %s", ssh.FingerprintSHA256(key.PublicKey()), ssh.MarshalAuthorizedKey(key.PublicKey()))))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	fmt.Printf("peer %s ran: %s\n", *node, strings.Join(c.Log(), "; "))
	return nil
}

// logCommands appends each command's program and first argument to file
// before h answers it ("/opt/SMAW/bin/cfset -a"): the test sends its
// signal once the guard has reached a step. No file: h as it is.
func logCommands(file string, h sshtest.Handler) sshtest.Handler {
	if file == "" {
		return h
	}
	var mu sync.Mutex
	return func(c sshtest.Command) sshtest.Reply {
		words := c.Args
		if len(words) > 2 {
			words = words[:2]
		}
		mu.Lock()
		if f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err == nil {
			fmt.Fprintln(f, strings.Join(words, " "))
			f.Close()
		}
		mu.Unlock()
		return h(c)
	}
}
