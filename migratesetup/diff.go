package migratesetup

import (
	udiff "github.com/aymanbagabas/go-udiff"
)

// Diff returns the unified diff from the old definition to the new one,
// labelled a/NAME.xml and b/NAME.xml, with secrets redacted on both sides
// first (see Redact): the diff of a definition read with its secrets
// never shows them. It is empty when nothing changes.
func Diff(name, oldXML, newXML string) string {
	return diffContext(name, oldXML, newXML, 3)
}

// diffContext is Diff with n lines of context around each change.
func diffContext(name, oldXML, newXML string, n int) string {
	old, new := Redact(oldXML), Redact(newXML)
	d, err := udiff.ToUnified("a/"+name+".xml", "b/"+name+".xml", old, udiff.Lines(old, new), n)
	if err != nil {
		// Cannot happen: the edits are computed from these texts. Show
		// nothing rather than something unredacted.
		return "--- a/" + name + ".xml\n+++ b/" + name + ".xml\n(diff unavailable: " + err.Error() + ")\n"
	}
	return d
}
