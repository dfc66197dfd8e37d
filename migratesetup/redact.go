package migratesetup

import (
	"encoding/xml"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Redact replaces secrets in a domain definition with "***" so that it can
// be shown. It reads the definition as XML and hides:
//   - the value attribute of every element in a hypervisor pass-through
//     namespace (QEMU's <qemu:arg value=...> and <qemu:env ... value=...>,
//     whatever the order of the attributes, <qemu:property value=...>, and
//     the same in the Xen, bhyve and LXC namespaces): command lines carry
//     rbd keys, -object secret data, proxy passwords, and nobody can list
//     them all;
//   - the text of every <entry> under <sysinfo> (SMBIOS <oemStrings>, where
//     systemd credentials travel as io.systemd.credential:NAME=VALUE, and
//     fw_cfg entries such as opt/io.systemd.credentials/NAME);
//   - the text of a network disk's <cookie> elements, and a <source>'s
//     query attribute (a signed URL's token);
//   - any attribute named passwd, password, passphrase, secret or key (the
//     graphics passwd of VNC and SPICE);
//   - the userinfo of any URL (scheme://USER:PASSWORD@host), in any
//     attribute or text;
//   - password=, passwd=, passphrase= and data= options inside any value.
//
// It works on the text: everything else, line breaks included, stays as
// it was, and it redacts the same way on both sides of a diff, so the
// lines still line up. A part that does not read as XML is hidden whole,
// line by line. It may redact more than a secret, never less of what it
// knows; a secret that libvirt keeps elsewhere under another name (or an
// application keeps in <metadata>) is not covered.
func Redact(domainXML string) string {
	s := redactSpans(domainXML)
	s = secretAttr().ReplaceAllString(s, "${1}'***'")
	s = secretText().ReplaceAllString(s, "${1}***${3}")
	s = urlUserinfo().ReplaceAllString(s, "${1}***@")
	return secretOption().ReplaceAllStringFunc(s, func(m string) string {
		sub := secretOption().FindStringSubmatch(m)
		if sub[2] == "***" || sub[2] == "on" || sub[2] == "off" {
			return m
		}
		return sub[1] + "***"
	})
}

// passThrough are the namespaces whose elements hand values to the
// hypervisor unchecked, by URI and by their customary prefix (an
// undeclared prefix stays the name's Space).
var passThrough = map[string]bool{
	"http://libvirt.org/schemas/domain/qemu/1.0":  true,
	"http://libvirt.org/schemas/domain/bhyve/1.0": true,
	"http://libvirt.org/schemas/domain/lxc/1.0":   true,
	"http://xen.org/schemas/domain/xen/1.0":       true,
	"qemu":                                        true, "bhyve": true, "lxc": true, "xen": true,
}

// span is a part of the text to replace with "***".
type span struct{ start, end int }

// redactSpans hides what the XML structure tells us is secret: see Redact.
func redactSpans(text string) string {
	dec := xml.NewDecoder(strings.NewReader(text))
	type open struct {
		name       xml.Name
		innerStart int
		hide       bool // hide everything inside
	}
	var (
		stack   []open
		spans   []span
		sysinfo int // how many <sysinfo> are open
		failed  = -1
	)
	for {
		off := int(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				failed = off
			}
			break
		}
		end := int(dec.InputOffset())
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "sysinfo" {
				sysinfo++
			}
			hide := sysinfo > 0 && t.Name.Local == "entry" || t.Name.Local == "cookie"
			for _, a := range rawAttrs(text[off:end]) {
				local := a.name[strings.LastIndexByte(a.name, ':')+1:]
				if local == "value" && passThrough[t.Name.Space] ||
					local == "query" && t.Name.Local == "source" {
					spans = append(spans, span{off + a.start, off + a.end})
				}
			}
			stack = append(stack, open{t.Name, end, hide})
		case xml.EndElement:
			if len(stack) == 0 {
				break
			}
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if o.hide && off > o.innerStart {
				spans = append(spans, span{o.innerStart, off})
			}
			if t.Name.Local == "sysinfo" && sysinfo > 0 {
				sysinfo--
			}
		}
	}
	var b strings.Builder
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	prev := 0
	for _, sp := range spans {
		if sp.start < prev { // inside a span already hidden
			continue
		}
		b.WriteString(text[prev:sp.start])
		b.WriteString("***")
		prev = sp.end
	}
	if failed >= 0 && failed >= prev {
		b.WriteString(text[prev:failed])
		b.WriteString(everyLine().ReplaceAllString(text[failed:], "***"))
		return b.String()
	}
	b.WriteString(text[prev:])
	return b.String()
}

// everyLine matches the content of each line, to hide a part that does not
// read as XML while keeping its line breaks.
//
// This file's expressions are compiled on first use (sync.OnceValue), not
// when the program starts: every sfkvm command links this package, and
// compiling them took 0.13 ms and 261 allocations of every command's start
// (issue 19), for the few commands that redact.
var everyLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^\n]+`) })

// rawAttr is one attribute of a start tag: its name as written and the
// offsets of its value (inside the quotes) in the tag's text.
type rawAttr struct {
	name       string
	start, end int
}

// rawAttrs lists the attributes of a well-formed start tag ("<name a='v'
// b=\"w\"/>"). encoding/xml gives attribute values but not where they
// are; the tag has been read by it, so it is well-formed.
func rawAttrs(tag string) []rawAttr {
	var attrs []rawAttr
	i := strings.IndexAny(tag, " \t\r\n")
	if i < 0 {
		return nil
	}
	for i < len(tag) {
		for i < len(tag) && strings.IndexByte(" \t\r\n", tag[i]) >= 0 {
			i++
		}
		if i >= len(tag) || tag[i] == '/' || tag[i] == '>' {
			break
		}
		nameStart := i
		for i < len(tag) && strings.IndexByte(" \t\r\n=", tag[i]) < 0 {
			i++
		}
		name := tag[nameStart:i]
		for i < len(tag) && tag[i] != '\'' && tag[i] != '"' {
			i++ // spaces, '=', spaces
		}
		if i >= len(tag) {
			break
		}
		q := tag[i]
		j := strings.IndexByte(tag[i+1:], q)
		if j < 0 {
			break
		}
		attrs = append(attrs, rawAttr{name, i + 1, i + 1 + j})
		i += j + 2
	}
	return attrs
}

// secretAttr matches an attribute that holds a secret itself, not a
// reference to one: the graphics passwd (VNC, SPICE) and anything named
// like a password or passphrase.
var secretAttr = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(\s(?:passwd|password|passphrase|secret|key)\s*=\s*)('[^']*'|"[^"]*")`)
})

// secretOption matches "password=VALUE" and the like inside a value, the
// way QEMU options carry them: -object secret,id=s0,data=VALUE or
// password-secret=..., -vnc ...,password=on.
var secretOption = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\b((?:passwd|password|passphrase|data)=)([^,'"<\s]+)`)
})

// secretText matches an element whose text is a secret: the HTTP cookies of
// a network disk (<cookies><cookie name='session'>VALUE</cookie>), which
// libvirt shows only with DOMAIN_XML_SECURE, as this package reads it. The
// XML reading hides them too; this catches them where the text does not
// read as XML up to there.
var secretText = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?is)(<cookie\b[^>]*>)([^<]*)(</cookie\s*>)`) })

// urlUserinfo matches the userinfo of a URL (scheme://USER:PASSWORD@),
// up to the last "@" before the end of the value or word, so that a
// password with "@" or "/" in it is hidden whole.
var urlUserinfo = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://)[^\s'"<>]*@`) })
