package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
	"golang.org/x/crypto/ssh"
)

func main() {
	dir := flag.String("dir", "", "folder for key, kvmguests.conf and known_hosts")
	hosts := flag.Int("hosts", 10, "hosts the guests are spread over (cfhost1..N)")
	latency := flag.Duration("latency", 0, "added to every round trip to a guest (what a guest sends goes out this much later)")
	flag.Parse()
	if *dir == "" || *hosts < 1 {
		flag.Usage()
		os.Exit(2)
	}
	var addrs []netip.Addr
	sc := bufio.NewScanner(os.Stdin)
	for n := 1; sc.Scan(); n++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			log.Fatalf("stdin:%d: %v", n, err)
		}
		addrs = append(addrs, a)
	}
	key, err := cipher.CreateKeyFile(filepath.Join(*dir, "key"))
	if err != nil {
		log.Fatal(err)
	}
	pw := cipher.SecretFromString(fmt.Sprintf("pw-%d", os.Getpid()))
	hostKey := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBenchKeyOfTheHostsBenchKeyOfTheHost"
	var conf, known strings.Builder
	var servers []*sshtest.Server
	for i, a := range addrs {
		name, node := fmt.Sprintf("guest%04d", i), fmt.Sprintf("cfguest%04d", i)
		cluster := fmt.Sprintf("cluster%04d", i/2)
		tok, err := key.Seal(pw, cipher.GuestContext{Name: name, IP: a, User: "root"})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(&conf, "%s cfhost%d %s %s %s root %s\n", name, i%*hosts+1, cluster, node, a, tok)
		hk, err := sshtest.NewHostKey("ed25519")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(&known, "%s %s", a, ssh.MarshalAuthorizedKey(hk.PublicKey()))
		srv, err := sshtest.Start(sshtest.Config{
			Addr:     netip.AddrPortFrom(a, 22).String(),
			HostKeys: []ssh.Signer{hk},
			Latency:  *latency,
			Users:    map[string]sshtest.User{"root": {Password: string(pw.Bytes())}},
			Handler: func(c sshtest.Command) sshtest.Reply {
				switch {
				case len(c.Args) == 2 && strings.HasSuffix(c.Args[0], "/cftool") && c.Args[1] == "-c":
					return sshtest.Reply{Stdout: cluster + "\n"}
				case len(c.Args) == 2 && strings.HasSuffix(c.Args[0], "/cftool") && c.Args[1] == "-l":
					return sshtest.Reply{Stdout: "Node    Number State       Os      Cpu\n" + node + " 1      UP          Linux   EM64T\n"}
				case len(c.Args) == 5 && c.Args[0] == "ssh-keygen" && c.Args[1] == "-F":
					return sshtest.Reply{Stdout: "# Host " + c.Args[2] + " found: line 1\n" + c.Args[2] + " " + hostKey + "\n"}
				}
				return sshtest.Builtin(c)
			},
		})
		if err != nil {
			log.Fatal(err)
		}
		servers = append(servers, srv)
	}
	for name, text := range map[string]string{"kvmguests.conf": conf.String(), "known_hosts": known.String()} {
		if err := os.WriteFile(filepath.Join(*dir, name), []byte(text), 0o600); err != nil {
			log.Fatal(err)
		}
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	fmt.Println("ready")
	<-sigs
	for _, s := range servers {
		s.Close()
	}
}
