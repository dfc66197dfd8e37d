package enroll

import (
	"context"
	"fmt"
	"github.com/sfkvm/sfkvm/internal/count"
	"github.com/sfkvm/sfkvm/migratesetup"
	"regexp"
	"strings"
	"sync"
)

// Stores is a Locator over every host's libvirt: the domain whose
// definition has the UUID, and the host that has it. A domain defined on
// two hosts (a migrated guest whose source definition was kept) is
// refused unless exactly one of them runs it.
type Stores []HostStore

var domainUUID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`<uuid>\s*([0-9a-fA-F-]{36})\s*</uuid>`) })

// Locate implements Locator.
func (s Stores) Locate(ctx context.Context, uuid string) (Placement, error) {
	type hit struct {
		hs      HostStore
		domain  string
		running bool
	}
	var hits []hit
	var errs []string
	for _, hs := range s {
		names, err := hs.Store.List(ctx)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", hs.Host, err))
			continue
		}
		for _, n := range names {
			x, err := hs.Store.InactiveXML(ctx, n)
			if err != nil {
				continue // undefined meanwhile, or transient
			}
			m := domainUUID().FindStringSubmatch(x)
			if m == nil || !strings.EqualFold(m[1], uuid) {
				continue
			}
			st, _ := hs.Store.State(ctx, n)
			hits = append(hits, hit{hs, n, st == migratesetup.StateRunning})
		}
	}
	if len(hits) > 1 {
		var run []hit
		for _, h := range hits {
			if h.running {
				run = append(run, h)
			}
		}
		hits = run
	}
	switch {
	case len(hits) == 1:
		h := hits[0]
		return Placement{Host: h.hs.Host, Domain: h.domain, HostCFName: h.hs.CFName, Store: h.hs.Store}, nil
	case len(hits) > 1:
		return Placement{}, fmt.Errorf("%w: several hosts run a domain with UUID %s; give --domain and --host-cfname", ErrNoDomain, uuid)
	}
	msg := fmt.Sprintf("%v: %s in the libvirt of %s", ErrNoDomain, uuid, count.N(len(s), "host", "hosts"))
	if len(errs) > 0 {
		msg += " (not read: " + strings.Join(errs, "; ") + ")"
	}
	return Placement{}, fmt.Errorf("%s; give --domain and --host-cfname: %w", msg, ErrNoDomain)
}
