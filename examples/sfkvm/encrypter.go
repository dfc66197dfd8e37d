package main

import (
	"errors"
	"fmt"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/rotate"
)

// tokenEncrypter is how rotate and enroll make a guest's new token: with
// --native, sealed with key for that guest's line; otherwise the vendor's
// sfcipher (--sfcipher, or looked for where PRIMECLUSTER puts it). When no
// sfcipher is found, the hint names the command's own way to sealed
// tokens (cmd --native --key FILE), or only --native when --key was given.
func tokenEncrypter(e *env, cmd string, native bool, key *cipher.Key, keyGiven bool, sfcipherPath string) (func(kvmguests.Guest) cipher.Encrypter, int) {
	if native {
		return func(g kvmguests.Guest) cipher.Encrypter { return key.ForGuest(preflight.GuestContext(g)) }, exitOK
	}
	hint := `
    sfkvm ` + cmd + ` --native --key FILE ...   (kvmguests.conf holds tokens sealed with FILE's key)
`
	if keyGiven {
		hint = `
    add --native: the new tokens are sealed with --key's key
`
	}
	path, code := findVendorTool(e, sfcipherPath, hint)
	if code != exitOK {
		return nil, code
	}
	enc := &cipher.Sfcipher{Path: path}
	return func(kvmguests.Guest) cipher.Encrypter { return enc }, exitOK
}

// generatedPassword is --generate of rotate and enroll: a new password to
// the policy, written to a new root-only path first (not in a dry run),
// so that it exists somewhere before any guest has it. code is the exit
// code when err is not nil.
func generatedPassword(e *env, cmd, path string, dryRun bool) (pw cipher.Secret, code int, err error) {
	if pw, err = rotate.Generate(0); err != nil {
		return pw, exitFailed, err
	}
	if dryRun {
		return pw, exitOK, nil
	}
	if err := rotate.WritePasswordFile(path, pw); err != nil {
		pw.Wipe()
		code := exitNoPerm
		if !errors.Is(err, rotate.ErrExists) {
			code = secretFileExit(err)
		}
		return cipher.Secret{}, code, fmt.Errorf("--generate: %w", err)
	}
	fmt.Fprintf(e.stderr, "sfkvm %s: the new password is in %s (mode 0600)\n", cmd, path)
	return pw, exitOK, nil
}
