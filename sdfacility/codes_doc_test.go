package sdfacility_test

import (
	"testing"

	"github.com/sfkvm/sfkvm/internal/codedoc"
)

// Every code is an exported constant, and every constant is listed in the
// package documentation.
func TestEveryCodeIsDocumented(t *testing.T) {
	codedoc.Documented(t, "github.com/sfkvm/sfkvm/sdfacility", ".")
}
