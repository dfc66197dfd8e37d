package sshcheck

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"

	"golang.org/x/crypto/ssh"
)

func fingerprint(k ssh.PublicKey) string { return ssh.FingerprintSHA256(k) }

func marshalAuthorized(k ssh.PublicKey) []byte { return ssh.MarshalAuthorizedKey(k) }

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }

func hashWithSalt(t interface{ Fatal(...any) }, salt64, name string) string {
	salt, err := base64.StdEncoding.DecodeString(salt64)
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha1.New, salt)
	mac.Write([]byte(name))
	return "|1|" + salt64 + "|" + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
