package cipher

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/sfkvm/sfkvm/internal/safefile"
)

// A key file holds one sealing key as one line of text:
//
//	sfkvm-key 1 <the 32-byte key in base64url without padding>\n
//
// 56 bytes in all: the magic word, the format version, one space each, 43
// base64url characters and a newline. Nothing else is accepted (no comment,
// no CR, no trailing space), so a file is either exactly a key or refused.
// The file is owned by the user who runs sfkvm (or root), a regular file
// (not a symlink), with no group or other permission bits (0600 or 0400).
const (
	keyFileMagic = "sfkvm-key 1 "
	keyFileSize  = len(keyFileMagic) + 43 + 1
)

// Errors of LoadKey, ReadKey and CreateKeyFile, for errors.Is.
var (
	ErrKeyFileFormat = errors.New("not a sfkvm key file")
	ErrKeyFileMode   = errors.New("key file is accessible to group or others")
	ErrKeyFileOwner  = errors.New("key file is owned by another user")
	ErrKeyFileType   = errors.New("key file is not a regular file")
	ErrKeyFileExists = errors.New("key file already exists")
)

// KeyFileError is an error about one key file: its path, and the cause
// (one of the ErrKeyFile... errors or an error of the file system). It
// never holds the key.
type KeyFileError struct {
	Path   string
	Detail string // what was found, e.g. "mode 0644"; may be empty
	Err    error
	rule   error // the guarded open's rule, if it refused the file
}

func (e *KeyFileError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("cipher: key file %s: %v (%s)", e.Path, e.Err, e.Detail)
	}
	return fmt.Sprintf("cipher: key file %s: %v", e.Path, e.Err)
}

func (e *KeyFileError) Unwrap() []error { return []error{e.Err, e.rule} }

// LoadKey reads the key file at path. It refuses a file that is not a
// regular file (a symlink, a directory, a FIFO: the open never blocks), that
// grants any permission to group or others or has a set-id or sticky bit,
// that belongs to someone other than the current user or root, or that is
// not exactly one key line (see the format above). The file is opened as
// every secret of sfkvm is (internal/safefile.OpenPrivate): the checks are
// made on the opened file, so it cannot be swapped between check and read.
func LoadKey(path string) (*Key, error) {
	f, err := safefile.OpenPrivate(path)
	if err != nil {
		return nil, keyFileError(path, err)
	}
	defer f.Close()
	return ReadKey(f, path)
}

// keyFileError turns a refusal of safefile.OpenPrivate (the one guarded
// open of every secret) into a KeyFileError with this package's sentinels.
func keyFileError(path string, err error) error {
	kind, detail, rule := privateRule(err, ErrKeyFileType, ErrKeyFileMode, ErrKeyFileOwner)
	return &KeyFileError{Path: path, Detail: detail, Err: kind, rule: rule}
}

// ReadKey reads a key in the key file format from r; name is used in
// errors. It does not check permissions: LoadKey does.
func ReadKey(r io.Reader, name string) (*Key, error) {
	buf := make([]byte, keyFileSize+1)
	defer wipe(buf)
	n, err := io.ReadFull(r, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, &KeyFileError{Path: name, Err: err}
	}
	data := buf[:n]
	switch {
	case n != keyFileSize:
		return nil, &KeyFileError{Path: name, Detail: fmt.Sprintf("%d bytes, want exactly %d", sizeOrMore(n, keyFileSize), keyFileSize), Err: ErrKeyFileFormat}
	case !bytes.HasPrefix(data, []byte(keyFileMagic)):
		return nil, &KeyFileError{Path: name, Detail: fmt.Sprintf("it must start with %q", keyFileMagic), Err: ErrKeyFileFormat}
	case data[n-1] != '\n':
		return nil, &KeyFileError{Path: name, Detail: "the line must end with a newline", Err: ErrKeyFileFormat}
	}
	key := make([]byte, KeySize)
	m, err := base64.RawURLEncoding.Strict().Decode(key, data[len(keyFileMagic):n-1])
	if err != nil || m != KeySize {
		wipe(key)
		return nil, &KeyFileError{Path: name, Detail: "the key is not 32 bytes of base64url without padding", Err: ErrKeyFileFormat}
	}
	return keyFromBytes(key), nil
}

// sizeOrMore describes a read that stopped at limit+1 bytes as "more than".
func sizeOrMore(n, want int) any {
	if n > want {
		return fmt.Sprintf("more than %d", want)
	}
	return n
}

// CreateKeyFile writes a fresh key to a new key file at path and returns
// the key. The file has mode 0600 from its first byte and appears whole or
// not at all, and an existing entry at path is never overwritten, even by
// a race (ErrKeyFileExists): the one create-new write of the module
// (internal/safefile.CreateFile: a temporary file in the same folder,
// synced, linked to path, the folder synced). The folder is held to the
// rules of a folder of secrets: not a symbolic link, owned by root or the
// caller, not writable by group or others.
func CreateKeyFile(path string) (*Key, error) {
	k, err := NewKey()
	if err != nil {
		return nil, err
	}
	line := formatKeyFile(k)
	defer wipe(line)
	if err := safefile.CreateFile(path, line); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, &KeyFileError{Path: path, Err: ErrKeyFileExists}
		}
		return nil, &KeyFileError{Path: path, Err: unwrapPathError(err)}
	}
	return k, nil
}

// WriteKeyFile writes k to a new key file at path, the way CreateKeyFile
// writes a fresh one (mode 0600 from the first byte, never overwriting:
// ErrKeyFileExists): for a key made with NewKey that another process
// must open, such as the key of preflight/lab's kept lab.
func WriteKeyFile(path string, k *Key) error {
	line := formatKeyFile(k)
	defer wipe(line)
	if err := safefile.CreateFile(path, line); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return &KeyFileError{Path: path, Err: ErrKeyFileExists}
		}
		return &KeyFileError{Path: path, Err: unwrapPathError(err)}
	}
	return nil
}

// formatKeyFile returns the key file line for k (to be wiped by the caller).
func formatKeyFile(k *Key) []byte {
	out := make([]byte, 0, keyFileSize)
	out = append(out, keyFileMagic...)
	out = base64.RawURLEncoding.AppendEncode(out, k.raw.Bytes())
	return append(out, '\n')
}

// unwrapPathError drops the *fs.PathError wrapper, whose path KeyFileError
// already names.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}
