package sfkvm_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Package docs and comments cite only documents that the repository
// holds: no "SPEC section 3" (a design note outside the module), no
// file that is not in the tree, no README section that it lacks.
func TestDocsCiteFilesInTheRepository(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	headings := map[string]bool{}
	for _, l := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(l, "#") {
			headings[strings.TrimSpace(strings.TrimLeft(l, "#"))] = true
		}
	}
	outside := regexp.MustCompile(`\bSPEC\b|STYLE\.md|\.\./shared|reference/`)
	readmeSection := regexp.MustCompile(`README's "([^"]+)"`)
	docFile := regexp.MustCompile(`\b([\w./-]+\.md)\b`)
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && path != ".") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		// A comment's text, joined across lines so that a citation split
		// over two lines is read whole.
		var text strings.Builder
		for _, l := range strings.Split(string(b), "\n") {
			if i := strings.Index(l, "// "); i >= 0 && !strings.Contains(l[:i], `"`) {
				text.WriteString(l[i+3:] + " ")
			}
		}
		c := text.String()
		if m := outside.FindString(c); m != "" {
			t.Errorf("%s cites %q, which is not in the repository", path, m)
		}
		for _, m := range readmeSection.FindAllStringSubmatch(c, -1) {
			if !headings[m[1]] {
				t.Errorf("%s cites the README's %q, which has no such section", path, m[1])
			}
		}
		for _, m := range docFile.FindAllStringSubmatch(c, -1) {
			if _, err := os.Stat(m[1]); err != nil {
				if _, err := os.Stat(filepath.Join(filepath.Dir(path), m[1])); err != nil {
					t.Errorf("%s cites %s, which is not in the repository", path, m[1])
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
