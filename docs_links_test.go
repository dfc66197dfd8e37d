package sfkvm_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The documents of the repository (README.md, docs/, bench/README.md, the
// commands' pages) link to each other by relative paths: every such link
// names a file or folder that the repository holds, so that the front door
// never points at a page that moved.
func TestDocumentLinksResolve(t *testing.T) {
	docs := []string{"README.md", "bench/README.md"}
	for _, glob := range []string{"docs/*.md", "examples/sfkvm/manual/*.md"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, m...)
	}
	if len(docs) < 10 {
		t.Fatalf("found only %d documents: is the test run from the module root?", len(docs))
	}
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	links := 0
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			for _, m := range link.FindAllStringSubmatch(line, -1) {
				target, _, _ := strings.Cut(m[1], "#")
				if strings.Contains(target, "://") || target == "" {
					continue
				}
				links++
				if _, err := os.Stat(filepath.Join(filepath.Dir(doc), target)); err != nil {
					t.Errorf("%s:%d: link to %s: %v", doc, i+1, m[1], err)
				}
			}
		}
	}
	if links < 10 {
		t.Errorf("only %d relative links found: is the pattern still right?", links)
	}
}
