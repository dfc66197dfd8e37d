package migratesetup

import (
	"errors"
	"strings"
)

// Errors of the edit, for errors.Is.
var (
	// ErrConflictingDisk: the domain has a disk with our serial that is
	// not the disk we would add (another source, or writable). sfkvm
	// refuses to rewrite it: someone made it on purpose, or by mistake.
	ErrConflictingDisk = errors.New("a disk with serial " + Serial + " is already there and differs")
	// ErrNoFreeTarget: vda to vdz are all taken.
	ErrNoFreeTarget = errors.New("no free virtio target name (vda to vdz are all in use)")
	// ErrNotDomain: the text is not a domain definition we can edit.
	ErrNotDomain = errNotDomain
)

// Edit is the result of AddHostInfoDisk or RemoveHostInfoDisk.
type Edit struct {
	// XML is the new definition; the input itself when Changed is false.
	XML string
	// Changed is false when the domain already was as wanted (set up, or
	// not set up for a removal).
	Changed bool
	// Target is the disk's target name (vdb, ...): the one added, the one
	// found, or the one removed.
	Target string
}

// AddHostInfoDisk adds the host information disk to a domain definition:
//
//	<disk type='file' device='disk'>
//	  <driver name='qemu' type='raw'/>
//	  <source file='PATH'/>
//	  <target dev='vdX' bus='virtio'/>
//	  <readonly/>
//	  <shareable/>
//	  <serial>sfkvm-hostinfo</serial>
//	</disk>
//
// after the last <disk> (so the boot disk stays first), with the first
// target vda..vdz that no disk uses, indented like its neighbours. A
// domain without <devices> (valid for libvirt) gets one, as the last
// child of <domain>; <devices/> becomes an element with our disk in it. It
// edits the text: every other byte of domainXML is in the result
// unchanged, including elements that no Go struct models (a re-marshalled
// struct would silently drop them). path is the host information file,
// DefaultPath when empty.
//
// A domain that already has our disk with this source is returned as is
// (Changed false). Our serial with another source, or writable, is
// ErrConflictingDisk.
func AddHostInfoDisk(domainXML, path string) (Edit, error) {
	if path == "" {
		path = DefaultPath
	}
	d, found, err := inspect(domainXML, path)
	switch {
	case err != nil:
		return Edit{}, err
	case found.SetUp:
		return Edit{XML: domainXML, Target: found.Target}, nil
	}
	used := map[string]bool{}
	for _, k := range d.disks {
		used[k.target] = true
	}
	target := ""
	for c := 'a'; c <= 'z'; c++ {
		if name := "vd" + string(c); !used[name] {
			target = name
			break
		}
	}
	if target == "" {
		return Edit{}, ErrNoFreeTarget
	}
	text := d.text
	var at int
	var insert string
	switch {
	case d.devicesStart < 0:
		return Edit{XML: addDevices(d, path, target), Changed: true, Target: target}, nil
	case len(d.disks) > 0:
		last := d.disks[len(d.disks)-1]
		indent, ownLine := lineIndent(text, last.start)
		unit := "  "
		if last.firstChild >= 0 {
			if ci, ok := lineIndent(text, last.firstChild); ok && strings.HasPrefix(ci, indent) && len(ci) > len(indent) {
				unit = ci[len(indent):]
			}
		}
		at = last.end
		if ownLine {
			insert = "\n" + indent + diskXML(path, target, indent, unit, "\n")
		} else {
			insert = diskXML(path, target, "", "", "")
		}
	case d.firstChild >= 0:
		indent, ownLine := lineIndent(text, d.firstChild)
		at = d.firstChild
		if ownLine {
			insert = diskXML(path, target, indent, "  ", "\n") + "\n" + indent
		} else {
			insert = diskXML(path, target, "", "", "")
		}
	case d.devicesClose >= 0:
		indent, _ := lineIndent(text, d.devicesStart)
		at = d.devicesInner
		insert = "\n" + indent + "  " + diskXML(path, target, indent+"  ", "  ", "\n")
	default: // <devices/>
		indent, _ := lineIndent(text, d.devicesStart)
		return Edit{
			XML: text[:d.devicesStart] + "<devices>\n" + indent + "  " + diskXML(path, target, indent+"  ", "  ", "\n") +
				"\n" + indent + "</devices>" + text[d.devicesEnd:],
			Changed: true, Target: target,
		}, nil
	}
	return Edit{XML: text[:at] + insert + text[at:], Changed: true, Target: target}, nil
}

// addDevices adds a <devices> element holding our disk to a domain that
// has none (libvirt accepts a domain without devices), as the last child
// of <domain>, indented like the first child; the rest of the text is
// kept byte for byte.
func addDevices(d *domainText, path, target string) string {
	text := d.text
	domIndent, _ := lineIndent(text, d.domainStart)
	childIndent, childOwnLine := lineIndent(text, d.domainChild)
	closeIndent, closeOwnLine := lineIndent(text, d.domainClose)
	if !childOwnLine || !closeOwnLine {
		// All on one line: stay on it.
		return text[:d.domainClose] + "<devices>" + diskXML(path, target, "", "", "") + "</devices>" + text[d.domainClose:]
	}
	unit := "  "
	if strings.HasPrefix(childIndent, domIndent) && len(childIndent) > len(domIndent) {
		unit = childIndent[len(domIndent):]
	}
	// Insert whole lines just before the line of </domain>.
	at := d.domainClose - len(closeIndent)
	return text[:at] + childIndent + "<devices>\n" + childIndent + unit + diskXML(path, target, childIndent+unit, unit, "\n") +
		"\n" + childIndent + "</devices>\n" + text[at:]
}

// diskXML is our disk element, its lines joined by nl and indented by
// indent+unit (the closing tag by indent).
func diskXML(path, target, indent, unit, nl string) string {
	in := nl + indent + unit
	return "<disk type='file' device='disk'>" +
		in + "<driver name='qemu' type='raw'/>" +
		in + "<source file='" + escapeAttr(path) + "'/>" +
		in + "<target dev='" + target + "' bus='virtio'/>" +
		in + "<readonly/>" +
		in + "<shareable/>" +
		in + "<serial>" + Serial + "</serial>" +
		nl + indent + "</disk>"
}

var attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&apos;", `"`, "&quot;")

func escapeAttr(s string) string { return attrEscaper.Replace(s) }

// RemoveHostInfoDisk removes every disk with our serial from a domain
// definition, with the line it stood on, so that removing what
// AddHostInfoDisk added gives back the original text byte for byte (except
// where AddHostInfoDisk had to create <devices>, from nothing or from
// <devices/>: that element stays, empty, which libvirt reads the same). A
// domain without it is returned as is (Changed false).
func RemoveHostInfoDisk(domainXML string) (Edit, error) {
	d, err := scanDomain(domainXML)
	if err != nil {
		return Edit{}, err
	}
	text := d.text
	var b strings.Builder
	prev := 0
	var targets []string
	for _, k := range d.disks {
		if k.serial != Serial {
			continue
		}
		start := k.start
		if _, ownLine := lineIndent(text, k.start); ownLine {
			start = strings.LastIndexByte(text[:k.start], '\n')
			if start < prev {
				start = k.start
			}
		}
		b.WriteString(text[prev:start])
		prev = k.end
		targets = append(targets, k.target)
	}
	if len(targets) == 0 {
		return Edit{XML: domainXML}, nil
	}
	b.WriteString(text[prev:])
	return Edit{XML: b.String(), Changed: true, Target: strings.Join(targets, ",")}, nil
}
