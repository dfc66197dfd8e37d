package sshcheck_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/sshcheck"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
	"golang.org/x/crypto/ssh"
)

// Log in to another host as root by key, as cluster hosts do: here from
// an identity file; sshcheck.DefaultKeys() would take ssh-agent's keys
// and ~/.ssh/id_rsa, id_ecdsa, id_ed25519 instead. The host's key is
// checked as strictly as a guest's.
func ExampleIdentityFile() {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	pub, _ := ssh.NewPublicKey(priv.Public())
	p, _, _, done := lab(sshtest.Config{Users: map[string]sshtest.User{"root": {AuthorizedKeys: []ssh.PublicKey{pub}}}}, sshcheck.TrustUnknown)
	defer done()

	dir, _ := os.MkdirTemp("", "identity")
	defer os.RemoveAll(dir)
	block, _ := ssh.MarshalPrivateKey(priv, "")
	file := filepath.Join(dir, "id_ed25519")
	os.WriteFile(file, pem.EncodeToMemory(block), 0o600)

	keys, err := sshcheck.IdentityFile(file)
	if err != nil {
		fmt.Println(err)
		return
	}
	r := p.Probe(context.Background(), sshcheck.Target{Address: "192.0.2.10", User: "root", Keys: keys})
	fmt.Println(r.Reason())

	// The same key readable by others is refused before any login.
	os.Chmod(file, 0o644)
	_, err = sshcheck.IdentityFile(file)
	fmt.Println(err != nil)
	// Output:
	// ok
	// true
}

// An encrypted identity is used only through an ssh-agent that holds its
// key: without one it is refused, and nothing asks for the passphrase.
func ExampleErrIdentityEncrypted() {
	old, had := os.LookupEnv("SSH_AUTH_SOCK")
	os.Setenv("SSH_AUTH_SOCK", "") // no agent
	defer func() {
		if had {
			os.Setenv("SSH_AUTH_SOCK", old)
		} else {
			os.Unsetenv("SSH_AUTH_SOCK")
		}
	}()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, _ := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("a passphrase"))
	dir, _ := os.MkdirTemp("", "identity")
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "id_ed25519")
	os.WriteFile(file, pem.EncodeToMemory(block), 0o600)

	_, err := sshcheck.IdentityFile(file)
	var missing *ssh.PassphraseMissingError
	fmt.Println(errors.Is(err, sshcheck.ErrIdentityEncrypted), errors.As(err, &missing))
	// Output: true true
}

// Read a guest user's password ageing and classify it: a readiness check
// before the password expires under PRIMECLUSTER.
func ExampleReadPasswordAge() {
	chage := "Last password change\t\t\t\t\t: Sep 11, 2026\n" +
		"Password expires\t\t\t\t\t: Dec 10, 2026\n" +
		"Password inactive\t\t\t\t\t: never\n" +
		"Account expires\t\t\t\t\t\t: never\n" +
		"Minimum number of days between password change\t\t: 0\n" +
		"Maximum number of days between password change\t\t: 90\n" +
		"Number of days of warning before password expires\t: 7\n"
	users := map[string]sshtest.User{"admin": {Password: "pw", Sudo: sshtest.SudoNoPassword, Chage: chage}}
	p, _, _, done := lab(sshtest.Config{Users: users}, sshcheck.TrustUnknown)
	defer done()
	ctx := context.Background()

	c, err := p.Dial(ctx, sshcheck.Target{Address: "192.0.2.10", User: "admin", Password: cipher.SecretFromString("pw")})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	age, err := sshcheck.ReadPasswordAge(ctx, c, "admin") // sudo -n env LC_ALL=C chage -l admin
	if err != nil {
		fmt.Println(err)
		return
	}
	v := age.Check(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC), "admin", sshcheck.DefaultWarnDays)
	fmt.Println(v.State, v.State.Warn(), v.Days)
	fmt.Println(v.Message)
	// Output:
	// expires soon true 10
	// the password of admin expires on 2026-12-10, in 10 days (warning at 14 days or less): set a new password on the guest and its token in kvmguests.conf on every host before then
}
