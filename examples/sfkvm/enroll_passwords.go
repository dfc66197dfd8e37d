package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/enroll"
	"github.com/sfkvm/sfkvm/internal/safefile"
	"github.com/sfkvm/sfkvm/rotate"
)

// generateBatchPasswords gives every member a new password, as --generate
// does for one, and writes them to the new root-only file path, one
// "guest_IP PASSWORD" a line (nothing is written in a dry run). wipe
// forgets them.
func generateBatchPasswords(ms []enroll.Member, path string, dryRun bool) (wipe func(), err error) {
	var pws []cipher.Secret
	wipe = func() {
		for _, p := range pws {
			p.Wipe()
		}
	}
	var b []byte
	defer func() { clear(b) }()
	for i := range ms {
		pw, err := rotate.Generate(0)
		if err != nil {
			wipe()
			return func() {}, err
		}
		pws = append(pws, pw)
		ms[i].Password = pw
		b = append(append(append(append(b, ms[i].Address.String()...), ' '), pw.Bytes()...), '\n')
	}
	if dryRun {
		return wipe, nil
	}
	if _, err := os.Lstat(path); err == nil {
		wipe()
		return func() {}, fmt.Errorf("%s: %w", path, rotate.ErrExists)
	}
	if err := safefile.CreateFile(path, b); err != nil {
		wipe()
		if errors.Is(err, os.ErrExist) {
			err = fmt.Errorf("%s: %w", path, rotate.ErrExists)
		}
		return func() {}, err
	}
	return wipe, nil
}
