package sfkvm_test

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// No built program is committed (a 4 MB Mach-O setupall was): a file
// that starts as an ELF, Mach-O or PE executable anywhere in the tree but
// testdata fails here. Files git ignores are built here, not committed,
// and are skipped by name (.gitignore's entries at the root).
func TestNoCommittedBinaries(t *testing.T) {
	ignored := map[string]bool{}
	if b, err := os.ReadFile(".gitignore"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "/") && !strings.HasSuffix(l, "/") {
				ignored[strings.TrimPrefix(l, "/")] = true
			}
		}
	}
	magics := [][]byte{{0x7f, 'E', 'L', 'F'}, {0xcf, 0xfa, 0xed, 0xfe}, {0xce, 0xfa, 0xed, 0xfe}, {0xca, 0xfe, 0xba, 0xbe}, []byte("MZ")}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "out") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || ignored[path] || strings.HasSuffix(path, ".test") || strings.HasSuffix(path, ".exe") {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		head := make([]byte, 4)
		n, _ := io.ReadFull(f, head)
		f.Close()
		for _, m := range magics {
			if bytes.HasPrefix(head[:n], m) {
				t.Errorf("%s is a built program: remove it (git rm) and add it to .gitignore", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
