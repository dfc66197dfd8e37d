package migratesetup

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Registration is one host's registered information, as read from that
// host (its ReadFile output, fetched however the caller likes).
type Registration struct {
	Host string // how the caller names the host, for messages
	Info HostInfo
}

// ErrWeightLinkMismatch means the hosts disagree on -w off, which the
// manual requires to be the same on every host. ErrDuplicateHost means two
// hosts registered the same CF node name or IP: a file copied between
// hosts instead of registered on each.
var (
	ErrWeightLinkMismatch = errors.New("weight link differs between hosts")
	ErrDuplicateHost      = errors.New("two hosts registered the same identity")
)

// Compare checks the registrations of all hosts of a cluster against each
// other. It returns nil when they agree; otherwise an error that wraps
// ErrWeightLinkMismatch and/or ErrDuplicateHost and names the hosts.
func Compare(regs []Registration) error {
	var errs []error
	on, off := []string{}, []string{}
	for _, r := range regs {
		if r.Info.NoWeightLink {
			off = append(off, r.Host)
		} else {
			on = append(on, r.Host)
		}
	}
	if len(on) > 0 && len(off) > 0 {
		errs = append(errs, fmt.Errorf("%w: on at %s; off (-w off) at %s",
			ErrWeightLinkMismatch, strings.Join(on, ", "), strings.Join(off, ", ")))
	}
	errs = append(errs, duplicates(regs, "CF node name", func(h HostInfo) string { return h.CFName })...)
	errs = append(errs, duplicates(regs, "IP", func(h HostInfo) string { return h.IP.String() })...)
	return errors.Join(errs...)
}

func duplicates(regs []Registration, what string, key func(HostInfo) string) []error {
	hosts := map[string][]string{}
	for _, r := range regs {
		k := key(r.Info)
		hosts[k] = append(hosts[k], r.Host)
	}
	keys := make([]string, 0, len(hosts))
	for k, hs := range hosts {
		if len(hs) > 1 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var errs []error
	for _, k := range keys {
		errs = append(errs, fmt.Errorf("%w: %s registered the same %s %s",
			ErrDuplicateHost, strings.Join(hosts[k], ", "), what, k))
	}
	return errs
}
