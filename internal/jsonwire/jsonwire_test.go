package jsonwire_test

import (
	"testing"

	"github.com/sfkvm/sfkvm/internal/jsonwire"
)

func TestJSONText(t *testing.T) {
	for in, want := range map[string]string{
		"guest11":         "guest11",
		"gue\xffst11":     `gue\xffst11`,
		"caf\xe9":         `caf\xe9`,         // Latin-1 é
		"café":            "café",            // UTF-8 é stays
		"\xef\xbb\xbfg1":  "\ufeffg1",        // a BOM is valid UTF-8
		"\xed\xa0\x80end": `\xed\xa0\x80end`, // a surrogate is not
	} {
		if got := jsonwire.Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}
