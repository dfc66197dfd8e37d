package main

import (
	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/preflight"
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
