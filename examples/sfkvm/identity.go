package main

import (
	"errors"
	"fmt"

	"github.com/sfkvm/sfkvm/sshcheck"
)

// identityExit is the exit code for an --identity that sshcheck refused:
// the guarded open's codes for the file (77 for what another user could
// have planted or read, 66 for a missing or unreadable one), 69 for an
// encrypted key that no ssh-agent holds (the agent is the service that is
// missing: sfkvm never asks for a passphrase), 65 for a file that is not
// a private key.
func identityExit(err error) int {
	switch {
	case errors.Is(err, sshcheck.ErrIdentityEncrypted):
		return exitUnavailable
	case errors.Is(err, sshcheck.ErrIdentityFormat):
		return exitConfig
	}
	return secretFileExit(err)
}

// hostKeySource is how preflight (and later commands) log in to --hosts:
// by key unless a password file was given; with --identity, that key
// only; else DefaultKeys (ssh-agent, then root's ~/.ssh/id_rsa, id_ecdsa,
// id_ed25519). A nil source with a password means password login.
func hostKeySource(identity string, havePassword bool) (sshcheck.KeySource, error) {
	switch {
	case identity != "":
		return sshcheck.IdentityFile(identity)
	case havePassword:
		return nil, nil
	}
	return sshcheck.DefaultKeys(), nil
}

// hostCredentials are the password (--host-password-file, when given;
// nil otherwise) and the keys (--identity, else the defaults, else none
// beside a password) of sfkvm's logins to the other hosts, the same in
// every command that makes them. wipe forgets the password; code is the
// exit status of err.
func hostCredentials(identity, passwordFile string) (keys sshcheck.KeySource, pw sshcheck.PasswordSource, wipe func(), code int, err error) {
	wipe = func() {}
	if passwordFile != "" {
		secret, code, err := readHostPasswordFile(passwordFile)
		if err != nil {
			return nil, nil, wipe, code, err
		}
		wipe, pw = secret.Wipe, secret
	}
	if keys, err = hostKeySource(identity, pw != nil); err != nil {
		wipe()
		return nil, nil, func() {}, identityExit(err), fmt.Errorf("--identity: %v", err)
	}
	return keys, pw, wipe, exitOK, nil
}
