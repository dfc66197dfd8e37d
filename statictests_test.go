package sfkvm_test

import (
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// staticPackages are the packages that scripts/test.sh tests again in the
// static build (CGO_ENABLED=0), with -run $static_tests.
var staticPackages = []string{"examples", "migratesetup/libvirtstore"}

// buildSensitive names what makes a test's outcome depend on the build:
// libvirt's in-process test driver (cgo only), the stores, libvirt's
// daemon, the demo's lab (its store comes from the build).
var buildSensitive = regexp.MustCompile(`\b(openStore|demoStoreOpener|libvirtstore|rpcstore|libvirtdtest)\b|test://|"demo"`)

// scripts/test.sh runs the tests of the static build (CGO_ENABLED=0) a
// second time with -run $static_tests, not every test: only those whose
// outcome can differ between the builds. This keeps that list honest:
// every test in a file built for the static build only (!cgo), or that reaches
// libvirt's stores, daemon or test driver (or the demo) must match it,
// and every name it lists must exist.
func TestStaticBuildTestsAreListed(t *testing.T) {
	script, err := os.ReadFile("scripts/test.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^static_tests='([^']+)'$`).FindSubmatch(script)
	if m == nil {
		t.Fatal("scripts/test.sh has no line static_tests='REGEXP'")
	}
	run, err := regexp.Compile(string(m[1]))
	if err != nil {
		t.Fatalf("static_tests: %v", err)
	}
	names := map[string]bool{}
	fset := token.NewFileSet()
	for _, root := range staticPackages {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
			if err != nil {
				return err
			}
			// Files for the cgo build only are not in the static one;
			// files for the static build only are all in the list.
			oneBuild := false
			for _, c := range f.Comments {
				for _, l := range c.List {
					expr, err := constraint.Parse(l.Text)
					if err != nil || !strings.Contains(l.Text, "cgo") {
						continue
					}
					if !expr.Eval(func(tag string) bool { return tag != "cgo" }) {
						return nil
					}
					oneBuild = true
				}
			}
			for _, decl := range f.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok || fn.Recv != nil || !(strings.HasPrefix(fn.Name.Name, "Test") || strings.HasPrefix(fn.Name.Name, "Example")) || fn.Name.Name == "TestMain" {
					continue
				}
				names[fn.Name.Name] = true
				body := string(src[fset.Position(fn.Pos()).Offset:fset.Position(fn.End()).Offset])
				if (oneBuild || buildSensitive.MatchString(body)) && !run.MatchString(fn.Name.Name) {
					why := "its file is for the static build only"
					if !oneBuild {
						why = "it uses " + strconv.Quote(buildSensitive.FindString(body))
					}
					t.Errorf("%s: %s differs between the builds (%s): add it to static_tests in scripts/test.sh", path, fn.Name.Name, why)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Every name in the list exists (a renamed test must not drop out).
	for _, alt := range strings.Split(strings.Trim(string(m[1]), "^$()"), "|") {
		if !names[alt] {
			t.Errorf("static_tests in scripts/test.sh names %s, which no test of %v is called", alt, staticPackages)
		}
	}
}
