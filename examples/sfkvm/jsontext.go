package main

import (
	"github.com/sfkvm/sfkvm/diag"
	"github.com/sfkvm/sfkvm/internal/jsonwire"
)

// jsonText is jsonwire.Text: bytes that are not UTF-8 as \xNN, for a JSON
// string.
func jsonText(s string) string { return jsonwire.Text(s) }

// jsonDiagnostics is jsonwire.Diagnostics: the file names and messages of
// ds through jsonText.
func jsonDiagnostics(ds diag.Diagnostics) diag.Diagnostics { return jsonwire.Diagnostics(ds) }
