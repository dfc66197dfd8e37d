package cipher

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// GuestContext is the identity of the guest that a sealed token belongs
// to: the guest-name, guest_IP and guest_user fields of its line in
// kvmguests.conf. A token of version 2 authenticates it (see [Key.Seal]),
// so a token copied to another guest's line does not open there. All
// three fields are needed; the IP counts as netip.Addr.String writes it,
// so any spelling of the same address is the same guest.
type GuestContext struct {
	Name string     // guest-name: the libvirt domain name
	IP   netip.Addr // guest_IP
	User string     // guest_user
}

// String returns the guest as "guest-name (user@IP)", for messages.
func (g GuestContext) String() string {
	return fmt.Sprintf("guest %s (%s@%s)", g.Name, g.User, g.IP)
}

func (g GuestContext) check() error {
	if g.Name == "" || !g.IP.IsValid() || g.User == "" {
		return ErrNoGuestContext
	}
	return nil
}

// appendTo appends the guest as additional data: each field as its length
// (4 bytes, big-endian) and its bytes, in the order name, IP, user. The
// lengths make the encoding unambiguous: no two different guests give the
// same bytes, whatever their fields hold.
func (g GuestContext) appendTo(b []byte) []byte {
	for _, f := range []string{g.Name, g.IP.String(), g.User} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}
