package sfkvm_test

import (
	"go/ast"
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

// flagMethods are the flag package's definers, with the index of the
// argument that names the flag.
var flagMethods = map[string]int{
	"String": 0, "Int": 0, "Int64": 0, "Uint": 0, "Uint64": 0, "Bool": 0, "Duration": 0, "Float64": 0, "Func": 0, "BoolFunc": 0,
	"StringVar": 1, "IntVar": 1, "Int64Var": 1, "UintVar": 1, "Uint64Var": 1, "BoolVar": 1, "DurationVar": 1, "Float64Var": 1, "TextVar": 1, "Var": 1,
}

// Every command's doc.go (its go doc) lists every flag that its code
// defines, so that the documentation cannot fall behind the flags. The
// sfkvm CLI is left out: its doc points to "sfkvm help COMMAND" for the
// flags and examples/sfkvm's TestDocListsEveryUsageLine checks its copy
// of the usage lines.
func TestCommandDocsListEveryFlag(t *testing.T) {
	commands := 0
	err := filepath.WalkDir(".", func(dir string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if dir == "examples/sfkvm" || dir != "." && strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" {
			return filepath.SkipDir
		}
		files, err := mainFiles(dir)
		if err != nil || len(files) == 0 {
			return err
		}
		commands++
		doc, err := os.ReadFile(filepath.Join(dir, "doc.go"))
		if err != nil {
			t.Errorf("%s: a command without doc.go: %v", dir, err)
			return nil
		}
		for _, name := range definedFlags(files) {
			if !regexp.MustCompile(`(?m)^//.*[\s\[,]-` + regexp.QuoteMeta(name) + `([\s\],=]|$)`).Match(doc) {
				t.Errorf("%s/doc.go does not list the flag -%s", dir, name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if commands < 10 {
		t.Fatalf("found only %d commands: is the test run from the module root?", commands)
	}
}

// mainFiles parses the non-test Go files of dir when they are a command's.
func mainFiles(dir string) ([]*ast.File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []*ast.File
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			return nil, err
		}
		if f.Name.Name != "main" {
			return nil, nil
		}
		files = append(files, f)
	}
	return files, nil
}

// definedFlags returns the names of the flags that files define on the
// flag package or on a FlagSet they make with flag.NewFlagSet.
func definedFlags(files []*ast.File) []string {
	sets := map[string]bool{"flag": true}
	isNewFlagSet := func(e ast.Expr) bool {
		c, ok := e.(*ast.CallExpr)
		if !ok {
			return false
		}
		sel, ok := c.Fun.(*ast.SelectorExpr)
		if !ok {
			return false
		}
		x, _ := sel.X.(*ast.Ident)
		return x != nil && x.Name == "flag" && sel.Sel.Name == "NewFlagSet"
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if a, ok := n.(*ast.AssignStmt); ok && len(a.Lhs) == len(a.Rhs) {
				for i, r := range a.Rhs {
					if id, ok := a.Lhs[i].(*ast.Ident); ok && isNewFlagSet(r) {
						sets[id.Name] = true
					}
				}
			}
			return true
		})
	}
	var names []string
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := c.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			x, _ := sel.X.(*ast.Ident)
			i, isDefiner := flagMethods[sel.Sel.Name]
			if x == nil || !sets[x.Name] || !isDefiner || len(c.Args) <= i {
				return true
			}
			if lit, ok := c.Args[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if name, err := strconv.Unquote(lit.Value); err == nil {
					names = append(names, name)
				}
			}
			return true
		})
	}
	return names
}
