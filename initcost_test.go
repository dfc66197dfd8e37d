package sfkvm_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoRegexpCompiledAtStart: no package-level variable of the module is
// a regular expression compiled when the program starts. Every sfkvm
// command starts every package it links, and the expressions are for a
// few commands: compile them on first use (sync.OnceValue), as
// migratesetup's redaction does; its five took 0.13 ms of every start
// (issue 19).
func TestNoRegexpCompiledAtStart(t *testing.T) {
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		for _, decl := range f.Decls {
			if g, ok := decl.(*ast.GenDecl); ok && g.Tok == token.VAR {
				for _, spec := range g.Specs {
					for _, v := range spec.(*ast.ValueSpec).Values {
						if call := compileAtStart(v); call != "" {
							t.Errorf("%s: a package-level %s: compile it on first use", fset.Position(v.Pos()), call)
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("parsed %d files: the walk is broken", files)
	}
}

// compileAtStart names a regexp.Compile call that e runs when evaluated,
// outside any function literal (which runs later, if ever).
func compileAtStart(e ast.Expr) (found string) {
	ast.Inspect(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
				if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "regexp" && strings.Contains(sel.Sel.Name, "Compile") {
					found = "regexp." + sel.Sel.Name
				}
			}
		}
		return found == ""
	})
	return found
}
