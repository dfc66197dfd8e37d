// Package codedoc checks, in tests, that a package documents every
// diagnostic code it exports: each exported constant of type diag.Code must
// appear, as its string, in the package documentation (doc.go), so that the
// list scripts read there cannot fall behind the code.
//
//	codedoc.Documented(t, "github.com/sfkvm/sfkvm/kvmguests", ".")
//
// It is a test helper: it loads the package from source (go/importer), so
// it does not belong in anything that ships.
package codedoc
