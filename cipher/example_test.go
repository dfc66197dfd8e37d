package cipher_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
)

func ExampleCheckPassword() {
	for _, pw := range []string{"Passw0rd", "Pass;word", "Passwört", ""} {
		err := cipher.CheckPassword([]byte(pw))
		var pe *cipher.PolicyError
		if errors.As(err, &pe) {
			fmt.Printf("rule %q at position %d: %v\n", pe.Rule, pe.Pos, err)
			continue
		}
		fmt.Println("ok")
	}
	// Output:
	// ok
	// rule "a forbidden character" at position 5: password policy: position 5: forbidden character ";" (PRIMECLUSTER refuses any of > < " / \ = ! ? ; , &)
	// rule "not 7-bit ASCII" at position 6: password policy: position 6: a byte outside 7-bit ASCII (PRIMECLUSTER accepts 7-bit ASCII only)
	// rule "the password is empty" at position 0: password policy: the password is empty
}

func ExampleKey_Seal() {
	dir, _ := os.MkdirTemp("", "sfkvm-example")
	defer os.RemoveAll(dir)
	keyFile := filepath.Join(dir, "sfkvm.key")
	if _, err := cipher.CreateKeyFile(keyFile); err != nil { // mode 0600, never overwrites
		log.Fatal(err)
	}

	key, err := cipher.LoadKey(keyFile)
	if err != nil {
		log.Fatal(err)
	}
	defer key.Wipe()
	// The token is bound to its guest: the fields guest-name, guest_IP and
	// guest_user of its line in kvmguests.conf.
	guest := cipher.GuestContext{Name: "guest11", IP: netip.MustParseAddr("192.0.2.11"), User: "user1"}
	token, err := key.Seal(cipher.SecretFromString("Passw0rd"), guest)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.HasPrefix(token, cipher.SealedPrefix), cipher.IsSealedToken(token), cipher.IsVendorToken(token))

	secret, err := key.Open(token, guest)
	if err != nil {
		log.Fatal(err)
	}
	defer secret.Wipe()
	fmt.Println(string(secret.Bytes()))

	other, _ := cipher.NewKey()
	_, err = other.Open(token, guest)
	fmt.Println(errors.Is(err, cipher.ErrWrongKey))

	// Moved to another guest's line, it does not open.
	guest12 := cipher.GuestContext{Name: "guest12", IP: netip.MustParseAddr("192.0.2.12"), User: "user2"}
	_, err = key.Open(token, guest12)
	fmt.Println(errors.Is(err, cipher.ErrTokenAltered))
	// Output:
	// true true false
	// Passw0rd
	// true
	// true
}

// standIn plays the vendor's sfcipher for ExampleSfcipher: echo off, the
// two prompts, a token.
const standIn = `#!/bin/sh
stty -echo
printf "Enter User's Password:"
read -r a
printf "\nRe-enter User's Password:"
read -r b
stty echo
echo
[ "$a" = "$b" ] && echo D0860AB04E1B8FA3
`

// The vendor's tool, driven as an API. The zero Sfcipher finds
// PRIMECLUSTER's sfcipher itself (in /opt/SMAW/bin, /opt/SMAW/SMAWsf/bin,
// then on PATH); here a stand-in script plays it. A real one must be
// root's, in folders that only root can change: this package's tests
// trust their own temporary folder, which a real run would refuse.
func ExampleSfcipher() {
	dir, _ := os.MkdirTemp("", "sfkvm-example")
	defer os.RemoveAll(dir)
	tool := filepath.Join(dir, "sfcipher")
	if err := os.WriteFile(tool, []byte(standIn), 0o755); err != nil {
		log.Fatal(err)
	}

	var enc cipher.Encrypter = &cipher.Sfcipher{Path: tool, Timeout: 10 * time.Second}
	password := []byte("Passw0rd")
	defer clear(password)
	token, err := enc.Encrypt(context.Background(), password)
	var se *cipher.SfcipherError
	switch {
	case errors.Is(err, cipher.ErrSfcipherNotFound):
		log.Fatal("install PRIMECLUSTER, or use a sealed token for tests")
	case errors.Is(err, cipher.ErrUntrustedTool):
		log.Fatal(err) // names the file or folder that others could change
	case errors.As(err, &se):
		log.Fatalf("sfcipher said %q (exit status %d)", se.Output, se.ExitStatus)
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println(token)
	// Output: D0860AB04E1B8FA3
}

func ExampleSecret() {
	pw := cipher.SecretFromString("Passw0rd")
	defer pw.Wipe()
	fmt.Printf("%v %s %q %x %#v\n", pw, pw, pw, pw, pw)

	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // keep the output stable
			}
			return a
		},
	}))
	logger.Info("login", "user", "sfkvm", "password", pw)

	type login struct {
		User     string
		Password cipher.Secret
	}
	fmt.Printf("%+v\n", login{"sfkvm", pw})
	// Output:
	// [REDACTED] [REDACTED] "[REDACTED]" [REDACTED] cipher.Secret([REDACTED])
	// level=INFO msg=login user=sfkvm password=[REDACTED]
	// {User:sfkvm Password:[REDACTED]}
}

func ExampleCreateKeyFile() {
	dir, _ := os.MkdirTemp("", "sfkvm-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "sfkvm.key")

	key, err := cipher.CreateKeyFile(path)
	if err != nil {
		log.Fatal(err)
	}
	defer key.Wipe()
	fi, _ := os.Stat(path)
	fmt.Println(fi.Mode(), fi.Size())

	_, err = cipher.CreateKeyFile(path)
	fmt.Println(errors.Is(err, cipher.ErrKeyFileExists))

	os.Chmod(path, 0o644)
	_, err = cipher.LoadKey(path)
	fmt.Println(errors.Is(err, cipher.ErrKeyFileMode))
	// Output:
	// -rw------- 56
	// true
	// true
}
