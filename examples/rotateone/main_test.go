package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/sshcheck"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
	"golang.org/x/crypto/ssh"
)

// One guest, an in-process SSH server whose chpasswd changes its
// password: rotateone rotates it, and the file's token opens to the
// password in the -out file, which logs in.
func TestRotateOne(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	pw := "old-Passw0rd"
	srv, err := sshtest.Start(sshtest.Config{
		Users:                   map[string]sshtest.User{"user1": {Sudo: sshtest.SudoNoPassword}},
		KeyboardInteractiveOnly: true,
		Challenge: func(user string, ask ssh.KeyboardInteractiveChallenge, _ func(string) error) error {
			a, err := ask("", "", []string{"Password: "}, []bool{false})
			mu.Lock()
			defer mu.Unlock()
			if err != nil || len(a) != 1 || a[0] != pw {
				return errors.New("wrong password")
			}
			return nil
		},
		Handler: func(c sshtest.Command) sshtest.Reply {
			if len(c.Args) == 1 && c.Args[0] == "chpasswd" && c.Sudo {
				line, _ := bufio.NewReader(c.Stdin).ReadString('\n')
				if u, p, ok := strings.Cut(strings.TrimSuffix(line, "\n"), ":"); ok && u == "user1" {
					mu.Lock()
					pw = p
					mu.Unlock()
					return sshtest.Reply{}
				}
				return sshtest.Reply{ExitStatus: 1}
			}
			return sshtest.Builtin(c)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	kh := filepath.Join(dir, "known_hosts")
	os.WriteFile(kh, []byte(srv.KnownHostsLine("192.0.2.11:22")+"\n"), 0o600)
	keyFile := filepath.Join(dir, "sfkvm.key")
	key, err := cipher.CreateKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	g := kvmguests.Guest{Name: "guest11", HostCFName: "cfhost1", ClusterName: "cluster1", CFName: "cfguest11",
		IP: netip.MustParseAddr("192.0.2.11"), User: "user1"}
	gc := cipher.GuestContext{Name: g.Name, IP: g.IP, User: g.User}
	tok, _ := key.Seal(cipher.SecretFromString(pw), gc)
	g.Password = kvmguests.Token(tok)
	var cfg kvmguests.Config
	cfg.Add(g)
	conf := filepath.Join(dir, "kvmguests.conf")
	data, _ := kvmguests.Marshal(&cfg, conf, kvmguests.Options{AllowSealed: true})
	os.WriteFile(conf, data, 0o600)

	out := filepath.Join(dir, "guest11.pw")
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := run(ctx, []string{"-f", conf, "-guest", "guest11", "-key", keyFile, "-out", out, "-known-hosts", kh}, &stdout, &stderr,
		sshcheck.Options{GlobalKnownHostsFiles: []string{}, DialContext: sshtest.Routes{"192.0.2.11:22": srv.Addr()}.DialContext})
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	newPW, err := cipher.ReadPasswordFile(out)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if pw != string(newPW.Bytes()) {
		t.Error("the guest's password is not the one in -out")
	}
	mu.Unlock()
	gs, _, err := kvmguests.ReadGuests(conf, kvmguests.Options{AllowSealed: true, SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	s, err := key.Open(gs[0].Password.Reveal(), gc)
	if err != nil || !s.Equal(newPW) {
		t.Errorf("the file's token does not open to the new password (%v)", err)
	}
	if strings.Contains(stdout.String()+stderr.String(), string(newPW.Bytes())) {
		t.Error("the output shows the password")
	}
}
