package main

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
	"golang.org/x/crypto/ssh"
)

func main() {
	dir := flag.String("dir", "", "folder for id and known_hosts")
	size := flag.Int("size", 60, "MiB of report")
	kind := flag.String("kind", "empty", "empty, rows, text, skip or valid")
	flag.Parse()
	gen := map[string]func(io.Writer, int){"empty": empty, "rows": rows, "text": text, "skip": skip, "valid": valid}[*kind]
	if *dir == "" || *size < 1 || gen == nil {
		flag.Usage()
		os.Exit(2)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*dir, "id"), pem.EncodeToMemory(block), 0o600); err != nil {
		log.Fatal(err)
	}
	clientKey, err := ssh.NewPublicKey(pub)
	if err != nil {
		log.Fatal(err)
	}
	srv, err := sshtest.Start(sshtest.Config{
		Users: map[string]sshtest.User{"root": {AuthorizedKeys: []ssh.PublicKey{clientKey}}},
		Handler: func(c sshtest.Command) sshtest.Reply {
			if len(c.Args) >= 2 && c.Args[0] == "sfkvm" && c.Args[1] == "preflight" {
				return sshtest.Reply{Stream: func(stdout, _ io.Writer) {
					w := bufio.NewWriterSize(stdout, 1<<20)
					gen(w, *size<<20)
					w.Flush()
				}}
			}
			if len(c.Args) == 3 && c.Args[0] == "cat" {
				return sshtest.Reply{Stderr: "cat: " + c.Args[2] + ": No such file or directory\n", ExitStatus: 1}
			}
			return sshtest.Builtin(c)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	if err := os.WriteFile(filepath.Join(*dir, "known_hosts"), []byte(srv.KnownHostsLine(srv.Addr())+"\n"), 0o600); err != nil {
		log.Fatal(err)
	}
	fmt.Println(srv.Addr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
}

const head = `{"schema":"sfkvm.preflight/v1","results":[`

// fill writes head, then unit until n bytes are near, then tail.
func fill(w io.Writer, n int, unit, sep, tail string) int {
	io.WriteString(w, head)
	count := 0
	for written := len(head); written+len(unit)+len(sep)+len(tail) < n; written += len(unit) + len(sep) {
		if count > 0 {
			io.WriteString(w, sep)
		}
		io.WriteString(w, unit)
		count++
	}
	io.WriteString(w, tail)
	return count
}

func empty(w io.Writer, n int) { fill(w, n, "{}", ",", `]}`) }

func rows(w io.Writer, n int) {
	fill(w, n, `{"check":"guest.login","step":"1.5","title":"guest login","target":"guest0001","status":"OK","reason":"as root"}`, ",", `],"counts":{"ok":0}}`)
}

func text(w io.Writer, n int) {
	fill(w, n, `{"check":"guest.login","status":"OK","detail":"`+strings.Repeat("d", 60<<10)+`"}`, ",", `],"counts":{"ok":0}}`)
}

func skip(w io.Writer, n int) {
	io.WriteString(w, `{"schema":"sfkvm.preflight/v1","results":[],"counts":{},"x":[`)
	for i := 0; i < (n-80)/2; i++ {
		io.WriteString(w, "0,")
	}
	io.WriteString(w, "0]}")
}

// valid is the largest report the site accepts: 99,999 rows (one under
// site.MaxReportRows) of 120-byte reasons (under site.MaxReportText),
// spaced out with blanks to n bytes.
func valid(w io.Writer, n int) {
	const rows = 99_999
	unit := `{"check":"guest.login","step":"1.5","title":"guest login","target":"guest0001","status":"OK","reason":"` + strings.Repeat("r", 120) + `"}`
	pad := strings.Repeat(" ", max(0, (n-len(head)-100)/rows-len(unit)-1))
	io.WriteString(w, head)
	for i := range rows {
		if i > 0 {
			io.WriteString(w, ","+pad)
		}
		io.WriteString(w, unit)
	}
	fmt.Fprintf(w, `],"counts":{"ok":%d}}`, rows)
}
