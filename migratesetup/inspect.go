package migratesetup

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sfkvm/sfkvm/internal/count"
)

// Inspection is what HasHostInfoDisk found in a domain definition.
type Inspection struct {
	// SetUp: the definition has the host information disk with this
	// source, read-only, as SetupGuest adds it.
	SetUp bool
	// Target is that disk's target name (vdb, ...) when SetUp.
	Target string
}

// HasHostInfoDisk reports whether a domain definition has the host
// information disk backed by path (DefaultPath when empty), without editing
// anything: the question that a check asks, where SetupGuest would act on
// the answer. It fails with ErrConflictingDisk where AddHostInfoDisk would
// refuse (a disk with our serial and another source, a writable one, or
// several), with ErrNotDomain for text that is not a domain definition, and
// for a path that is not absolute.
func HasHostInfoDisk(domainXML, path string) (Inspection, error) {
	if path == "" {
		path = DefaultPath
	}
	_, found, err := inspect(domainXML, path)
	return found, err
}

// inspect scans domainXML and finds our disk: the one question that both
// the query and the edit ask first.
func inspect(domainXML, path string) (*domainText, Inspection, error) {
	if !filepath.IsAbs(path) || strings.ContainsFunc(path, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return nil, Inspection{}, fmt.Errorf("host information path %q must be absolute, without control characters", path)
	}
	d, err := scanDomain(domainXML)
	if err != nil {
		return nil, Inspection{}, err
	}
	var ours []diskText
	for _, k := range d.disks {
		if k.serial == Serial {
			ours = append(ours, k)
		}
	}
	switch {
	case len(ours) > 1:
		return nil, Inspection{}, fmt.Errorf("%w: %s have it", ErrConflictingDisk, count.N(len(ours), "disk", "disks"))
	case len(ours) == 1 && ours[0].source != path:
		return nil, Inspection{}, fmt.Errorf("%w: its source is %q, not %q; remove it first (-d) if it should go", ErrConflictingDisk, ours[0].source, path)
	case len(ours) == 1 && !ours[0].readonly:
		return nil, Inspection{}, fmt.Errorf("%w: target %s is writable; ours is read-only", ErrConflictingDisk, ours[0].target)
	case len(ours) == 1:
		return d, Inspection{SetUp: true, Target: ours[0].target}, nil
	}
	return d, Inspection{}, nil
}
