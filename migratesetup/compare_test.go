package migratesetup

import (
	"errors"
	"net/netip"
	"testing"
)

func reg(host, cf, ip string, off bool) Registration {
	return Registration{Host: host, Info: HostInfo{CFName: cf, IP: netip.MustParseAddr(ip), NoWeightLink: off}}
}

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		name    string
		regs    []Registration
		want    string
		weight  bool
		dupHost bool
	}{
		{name: "agree", regs: []Registration{reg("h1", "cfhost1", "10.0.0.1", true), reg("h2", "cfhost2", "10.0.0.2", true)}},
		{name: "one host", regs: []Registration{reg("h1", "cfhost1", "10.0.0.1", false)}},
		{name: "weight link differs",
			regs:   []Registration{reg("h1", "cfhost1", "10.0.0.1", false), reg("h2", "cfhost2", "10.0.0.2", true), reg("h3", "cfhost3", "10.0.0.3", false)},
			want:   "weight link differs between hosts: on at h1, h3; off (-w off) at h2",
			weight: true},
		{name: "copied file",
			regs:    []Registration{reg("h1", "cfhost1", "10.0.0.1", false), reg("h2", "cfhost1", "10.0.0.1", false)},
			want:    "two hosts registered the same identity: h1, h2 registered the same CF node name cfhost1\ntwo hosts registered the same identity: h1, h2 registered the same IP 10.0.0.1",
			dupHost: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Compare(tc.regs)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
			if errors.Is(err, ErrWeightLinkMismatch) != tc.weight || errors.Is(err, ErrDuplicateHost) != tc.dupHost {
				t.Errorf("predicates wrong for %v", err)
			}
		})
	}
}
