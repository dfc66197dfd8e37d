package codedoc_test

import (
	"fmt"
	"testing"

	"github.com/sfkvm/sfkvm/internal/codedoc"
)

// quietTB stands in for the *testing.T of a test.
type quietTB struct{ testing.TB }

func (quietTB) Helper()                        {}
func (quietTB) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }

func ExampleCodes() {
	codes := codedoc.Codes(quietTB{}, "github.com/sfkvm/sfkvm/migratesetup")
	fmt.Println(codes["CodeIPSyntax"], codes["CodeBadCFName"], codes["CodeNameCharset"])
	// Output: ip-syntax cfname-invalid name-charset
}
