package sfkvm_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Counts agree in number ("1 guests" was printed by probe, and "1 of 1
// hosts reached" by site): a format string that puts %d before a plural
// noun of the things sfkvm counts fails here; say it with internal/count
// (count.N, count.All). A bound that is never 1 ("more than %d bytes") is
// left as it is.
func TestCountsAgree(t *testing.T) {
	plural := regexp.MustCompile(`(more than |first |line |argument )?%d (errors|warnings|guests|hosts|agents|copies|problems|checks|rows|disks|keys|targets|domains|failed|ok)\b`)
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
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
		for i, l := range strings.Split(string(b), "\n") {
			for _, m := range plural.FindAllStringSubmatch(l, -1) {
				if m[1] == "" && m[2] != "failed" && m[2] != "ok" {
					t.Errorf("%s:%d: %%d %s: say it with count.N: %s", path, i+1, m[2], strings.TrimSpace(l))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
