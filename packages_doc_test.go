package sfkvm_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every library package (every package but the commands and this root)
// has a doc.go and at least one Example function, so that a package added
// without either fails here rather than in review.
func TestLibraryPackagesHaveDocAndExample(t *testing.T) {
	libs := 0
	err := filepath.WalkDir(".", func(dir string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if dir != "." && strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" {
			return filepath.SkipDir
		}
		name, tests, err := packageOf(dir)
		if err != nil || name == "" || name == "main" || dir == "." {
			return err
		}
		libs++
		if _, err := os.Stat(filepath.Join(dir, "doc.go")); err != nil {
			t.Errorf("%s: package %s has no doc.go", dir, name)
		}
		if !strings.Contains(tests, "\nfunc Example") {
			t.Errorf("%s: package %s has no Example function", dir, name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if libs < 20 {
		t.Fatalf("found %d library packages: the walk is broken", libs)
	}
}

// packageOf returns the package name of dir's non-test Go files ("" when
// none) and the text of its test files.
func packageOf(dir string) (name, tests string, err error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", "", err
	}
	var b strings.Builder
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") {
			continue
		}
		if strings.HasSuffix(n, "_test.go") {
			src, err := os.ReadFile(filepath.Join(dir, n))
			if err != nil {
				return "", "", err
			}
			b.Write(src)
			continue
		}
		if name == "" {
			f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, n), nil, parser.PackageClauseOnly)
			if err != nil {
				return "", "", err
			}
			name = f.Name.Name
		}
	}
	return name, b.String(), nil
}
