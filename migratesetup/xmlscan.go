package migratesetup

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// domainText is what the edit needs to know about a domain definition:
// where <devices> and each <disk> sit in the text. The text itself is
// never re-marshalled (see AddHostInfoDisk).
type domainText struct {
	text         string
	domainStart  int // offset of "<domain"
	domainClose  int // offset of "</domain>"
	domainChild  int // offset of the first element inside <domain>, or -1
	devicesStart int // offset of "<devices", or -1 when there is none
	devicesInner int // offset just after the <devices> start tag
	devicesClose int // offset of "</devices>", or -1 when it is <devices/>
	devicesEnd   int // offset just after the devices element
	firstChild   int // offset of the first element inside <devices>, or -1
	disks        []diskText
}

// diskText is one <disk> element: its span and the parts that matter here.
type diskText struct {
	start, end int
	firstChild int // offset of its first child element, or -1
	device     string
	target     string
	serial     string
	source     string
	readonly   bool
	shareable  bool
}

// errNotDomain wraps every failure to read the definition.
var errNotDomain = errors.New("not a libvirt domain definition")

// scanDomain finds <devices> (a child of the root <domain>) and its
// <disk> children. It reads the text with encoding/xml's raw tokens, whose
// offsets are exact byte positions in the text.
func scanDomain(text string) (*domainText, error) {
	d := &domainText{text: text, domainStart: -1, domainClose: -1, domainChild: -1, devicesStart: -1, devicesClose: -1, firstChild: -1}
	dec := xml.NewDecoder(strings.NewReader(text))
	var (
		path   []string // names of the open elements
		disk   *diskText
		inText string // the disk child whose text we collect ("serial")
	)
	for {
		off := int(dec.InputOffset())
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errNotDomain, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			if t.Name.Space != "" {
				name = t.Name.Space + ":" + name
			}
			depth := len(path) // depth of this element: 0 is the root
			if depth == 0 || depth == 1 && name == "devices" || depth >= 2 && path[1] == "devices" {
				// libvirt reads un-namespaced elements only: a default
				// namespace here would hide them from it, and from us.
				if ns := attrNS(t, "xmlns"); ns != "" {
					return nil, fmt.Errorf("%w: <%s> declares the default namespace %q; libvirt reads only elements in no namespace", errNotDomain, name, ns)
				}
			}
			if depth == 1 && d.domainChild < 0 {
				d.domainChild = off
			}
			switch {
			case depth == 0 && name != "domain":
				return nil, fmt.Errorf("%w: the root element is <%s>", errNotDomain, name)
			case depth == 0 && d.domainStart >= 0:
				return nil, fmt.Errorf("%w: a second root element <%s>", errNotDomain, name)
			case depth == 0:
				d.domainStart = off
			case depth == 1 && name == "devices":
				if d.devicesStart >= 0 {
					return nil, fmt.Errorf("%w: two <devices> elements", errNotDomain)
				}
				d.devicesStart = off
				d.devicesInner = int(dec.InputOffset())
			case depth == 2 && path[1] == "devices":
				if d.firstChild < 0 {
					d.firstChild = off
				}
				if name == "disk" {
					d.disks = append(d.disks, diskText{start: off, firstChild: -1, device: attr(t, "device")})
					disk = &d.disks[len(d.disks)-1]
				}
			case depth == 3 && disk != nil:
				if disk.firstChild < 0 {
					disk.firstChild = off
				}
				switch name {
				case "target":
					disk.target = attr(t, "dev")
				case "source":
					disk.source = attr(t, "file")
					if disk.source == "" {
						disk.source = attr(t, "dev")
					}
				case "readonly":
					disk.readonly = true
				case "shareable":
					disk.shareable = true
				case "serial":
					inText = "serial"
				}
			}
			path = append(path, name)
		case xml.EndElement:
			if len(path) == 0 {
				return nil, fmt.Errorf("%w: unbalanced </%s>", errNotDomain, t.Name.Local)
			}
			depth := len(path) - 1
			end := int(dec.InputOffset())
			switch {
			case depth == 0:
				if d.domainChild < 0 {
					// <domain/> or <domain></domain>: not even a name.
					return nil, fmt.Errorf("%w: the <domain> element has no elements in it", errNotDomain)
				}
				d.domainClose = off
			case depth == 1 && path[1] == "devices":
				d.devicesEnd = end
				// A start tag that ends where this element ends was <devices/>.
				if end != d.devicesInner {
					d.devicesClose = off
				}
			case depth == 2 && disk != nil && path[2] == "disk":
				disk.end = end
				disk = nil
			case depth == 3:
				inText = ""
			}
			path = path[:len(path)-1]
		case xml.CharData:
			if inText == "serial" && disk != nil {
				disk.serial += string(t)
			}
		}
	}
	if len(path) != 0 {
		return nil, fmt.Errorf("%w: <%s> is not closed", errNotDomain, path[len(path)-1])
	}
	if d.domainStart < 0 {
		return nil, fmt.Errorf("%w: no <domain> element", errNotDomain)
	}
	for i := range d.disks {
		d.disks[i].serial = strings.TrimSpace(d.disks[i].serial)
	}
	return d, nil
}

// attrNS returns the value of the unprefixed namespace declaration name
// ("xmlns"), or "".
func attrNS(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// lineIndent returns the spaces and tabs between the start of offset's
// line and offset, and whether nothing else stands there (the element
// begins its own line).
func lineIndent(text string, offset int) (indent string, ownLine bool) {
	lineStart := strings.LastIndexByte(text[:offset], '\n') + 1
	prefix := text[lineStart:offset]
	if strings.Trim(prefix, " \t") != "" {
		return "", false
	}
	return prefix, true
}
