package codedoc

import (
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"regexp"
	"testing"
)

const diagCode = "github.com/sfkvm/sfkvm/diag.Code"

// Codes returns the exported constants of type diag.Code of the package at
// importPath, by name, with their values.
func Codes(t testing.TB, importPath string) map[string]string {
	t.Helper()
	pkg, err := importer.ForCompiler(token.NewFileSet(), "source", nil).Import(importPath)
	if err != nil {
		t.Fatalf("loading %s: %v", importPath, err)
	}
	codes := map[string]string{}
	for _, name := range pkg.Scope().Names() {
		c, ok := pkg.Scope().Lookup(name).(*types.Const)
		if ok && c.Exported() && types.TypeString(c.Type(), nil) == diagCode {
			codes[name] = constant.StringVal(c.Val())
		}
	}
	return codes
}

// Documented fails t for every code of the package in dir (its folder,
// relative to the test) whose value is not in the package documentation.
func Documented(t testing.TB, importPath, dir string) {
	t.Helper()
	codes := Codes(t, importPath)
	if len(codes) == 0 {
		t.Fatalf("%s exports no diag.Code constant", importPath)
	}
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, "doc.go"), nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	doc := docText(f)
	for name, code := range codes {
		if !regexp.MustCompile(`(^|[\s(,])` + regexp.QuoteMeta(code) + `($|[\s),])`).MatchString(doc) {
			t.Errorf("%s.%s (%q) is not listed in %s/doc.go", importPath, name, code, dir)
		}
	}
}

func docText(f *ast.File) string {
	if f.Doc == nil {
		return ""
	}
	return f.Doc.Text()
}
