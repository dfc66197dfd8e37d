package migrationtest

import (
	"encoding/json"
	"fmt"
	"net/netip"
)

// GuestConfigPath is where the initramfs holds the guest's GuestConfig
// (mode 0600: it holds the login password of a throwaway test guest; on
// the kernel command line it would show in the host's ps).
const GuestConfigPath = "/etc/sfkvm-guest.json"

// GuestConfig is what the migration test's guest serves over SSH: its
// address on the test's network, the login of its kvmguests.conf line,
// and its place in the simulated guest cluster.
type GuestConfig struct {
	Address  string   `json:"address"` // IPv4 address/prefix, e.g. 10.77.0.10/24
	User     string   `json:"user"`
	Password string   `json:"password"`
	Node     string   `json:"node"`    // CF node name
	Cluster  string   `json:"cluster"` // cluster name
	Nodes    []string `json:"nodes"`   // every node of the cluster
}

// ParseGuestConfig parses and checks a GuestConfig.
func ParseGuestConfig(b []byte) (GuestConfig, netip.Prefix, error) {
	var c GuestConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return c, netip.Prefix{}, fmt.Errorf("%s: %w", GuestConfigPath, err)
	}
	p, err := netip.ParsePrefix(c.Address)
	if err != nil || !p.Addr().Is4() {
		return c, netip.Prefix{}, fmt.Errorf("%s: address %q: want an IPv4 address/prefix", GuestConfigPath, c.Address)
	}
	if c.User == "" || c.Password == "" || c.Node == "" || c.Cluster == "" || len(c.Nodes) == 0 {
		return c, netip.Prefix{}, fmt.Errorf("%s: user, password, node, cluster and nodes are all needed", GuestConfigPath)
	}
	return c, p, nil
}

// HostKeyPrefix starts the console line on which the guest prints its
// SSH host key, generated at boot: its fingerprint, then the key as
// authorized_keys writes it:
//
//	SFKVM-HOSTKEY SHA256:… ssh-ed25519 AAAA…
//
// The test checks that the two agree and trusts that key, and only it,
// at the guest's address.
const HostKeyPrefix = "SFKVM-HOSTKEY "
