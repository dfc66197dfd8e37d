package migratesetup

import (
	"regexp"

	udiff "github.com/aymanbagabas/go-udiff"
)

// Diff returns the unified diff from the old definition to the new one,
// labelled a/NAME.xml and b/NAME.xml, with secrets redacted on both sides
// first (see Redact): the diff of a definition read with its secrets
// never shows them. It is empty when nothing changes.
func Diff(name, oldXML, newXML string) string {
	return udiff.Unified("a/"+name+".xml", "b/"+name+".xml", Redact(oldXML), Redact(newXML))
}

// secretAttr matches an attribute that holds a secret itself, not a
// reference to one: the graphics passwd (VNC, SPICE) and anything named
// like a password or passphrase.
var secretAttr = regexp.MustCompile(`(?i)(\s(?:passwd|password|passphrase|secret|key)\s*=\s*)('[^']*'|"[^"]*")`)

// secretOption matches "password=VALUE" and the like inside a value, the
// way QEMU options carry them in <qemu:arg value='...'/> and <qemu:env>:
// -object secret,id=s0,data=VALUE or password-secret=..., -vnc ...,password=on.
var secretOption = regexp.MustCompile(`(?i)\b((?:passwd|password|passphrase|data)=)([^,'"<\s]+)`)

// secretEnv matches a <qemu:env> whose name says it holds a secret.
var secretEnv = regexp.MustCompile(`(?i)(<qemu:env\s+name\s*=\s*['"][^'"]*(?:pass|secret|token|key)[^'"]*['"]\s+value\s*=\s*)('[^']*'|"[^"]*")`)

// secretText matches an element whose text is a secret: the HTTP cookies of
// a network disk (<cookies><cookie name='session'>VALUE</cookie>), which
// libvirt shows only with DOMAIN_XML_SECURE, as this package reads it.
var secretText = regexp.MustCompile(`(?is)(<cookie\b[^>]*>)([^<]*)(</cookie\s*>)`)

// Redact replaces secrets in a domain definition with "***" so that it can
// be shown: the graphics passwd attribute and any attribute named passwd,
// password, passphrase, secret or key; password=, passwd=, passphrase= and
// data= options inside values (QEMU's -object secret,data=...); the value of
// a <qemu:env> whose name mentions a password, secret, token or key; the
// text of a disk's <cookie> elements. It
// works on the text and redacts the same way on both sides of a diff, so
// the lines still line up. It may redact more than a secret, never less of
// what it knows; a secret that libvirt keeps elsewhere under another name
// is not covered.
func Redact(domainXML string) string {
	s := secretAttr.ReplaceAllString(domainXML, "${1}'***'")
	s = secretText.ReplaceAllString(s, "${1}***${3}")
	s = secretEnv.ReplaceAllString(s, "${1}'***'")
	return secretOption.ReplaceAllStringFunc(s, func(m string) string {
		sub := secretOption.FindStringSubmatch(m)
		if sub[2] == "***" || sub[2] == "on" || sub[2] == "off" {
			return m
		}
		return sub[1] + "***"
	})
}
