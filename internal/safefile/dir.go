package safefile

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
)

// Dir is an opened folder whose entries sfkvm replaces. Every operation is
// relative to the descriptor, so renaming or replacing the folder's path
// after OpenDir does not redirect a write.
type Dir struct {
	f    *os.File
	path string
}

// Close releases the folder.
func (d *Dir) Close() error { return d.f.Close() }

// Path is the path the folder was opened by.
func (d *Dir) Path() string { return d.path }

// AfterWrite is a seam for tests: it runs after the new contents are
// written to the temporary file and before it is synced. An error there
// (a full disk, say) must leave the previous file as it was and no
// temporary file behind.
var AfterWrite = func(*os.File) error { return nil }

// WriteFile replaces the file at path through OpenDir and Replace.
func WriteFile(path string, data []byte) error {
	return inDir(path, (*Dir).Replace, data)
}

// CreateFile creates the file at path through OpenDir and CreateNew: it
// never overwrites anything.
func CreateFile(path string, data []byte) error {
	return inDir(path, (*Dir).CreateNew, data)
}

func inDir(path string, write func(*Dir, string, []byte) error, data []byte) error {
	d, err := OpenDir(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return write(d, filepath.Base(path), data)
}

func tempName(name string) (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "." + name + ".tmp-" + hex.EncodeToString(b[:]), nil
}
