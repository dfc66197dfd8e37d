package promtest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/sfkvm/sfkvm/internal/safefile"
)

// FolderRules checks the rules every textfile writer keeps (preflight's
// and the site's): write(dir), which writes fileName in dir, refuses a
// folder that is a symbolic link, open to others, relative or missing, and
// writes nothing through the link; a link at the file's own name is
// replaced, never followed.
func FolderRules(t *testing.T, fileName string, write func(dir string) error) {
	t.Helper()
	base := t.TempDir()
	real := filepath.Join(base, "real")
	open := filepath.Join(base, "open")
	link := filepath.Join(base, "link")
	for _, d := range []string{real, open} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dir  string
		want error
	}{
		{link, safefile.ErrSymlink},
		{open, safefile.ErrMode},
		{"relative/dir", safefile.ErrRelative},
		{filepath.Join(base, "none"), fs.ErrNotExist},
	} {
		if err := write(tc.dir); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.dir, err, tc.want)
		}
	}
	if ents, _ := os.ReadDir(real); len(ents) != 0 {
		t.Errorf("written through the link: %v", ents)
	}

	elsewhere := filepath.Join(base, "elsewhere")
	if err := os.WriteFile(elsewhere, []byte("keep\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, filepath.Join(real, fileName)); err != nil {
		t.Fatal(err)
	}
	if err := write(real); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(elsewhere); string(b) != "keep\n" {
		t.Errorf("the link's target was written: %q", b)
	}
	if fi, err := os.Lstat(filepath.Join(real, fileName)); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("textfile %v %v", fi, err)
	}
}
