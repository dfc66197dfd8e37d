package kvmguests

import (
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
)

// The seven fields of a line, in order, spelled as in the manual. A
// Diagnostic's Field is one of these.
const (
	FieldGuestName   = "guest-name"
	FieldHostCFName  = "host-cfname"
	FieldClusterName = "guest-clustername"
	FieldGuestCFName = "guest-cfname"
	FieldIP          = "guest_IP"
	FieldUser        = "guest_user"
	FieldPasswd      = "guest_passwd"
)

// fieldNames indexes the fields by their position on the line.
var fieldNames = [7]string{FieldGuestName, FieldHostCFName, FieldClusterName, FieldGuestCFName, FieldIP, FieldUser, FieldPasswd}

// Guest is one line of kvmguests.conf: one guest cluster node.
type Guest struct {
	Name        string     // libvirt domain name of the guest
	HostCFName  string     // CF node name of the host the guest runs on
	ClusterName string     // the guest's cluster name (cftool -c on the guest)
	CFName      string     // the guest's CF node name (cftool -l on the guest)
	IP          netip.Addr // where PRIMECLUSTER logs in to the guest
	User        string     // root, or the user of step 1.2
	Password    Token      // the encrypted login password
	Line        int        // the line it was read from; 0 for a Guest built in code
}

// String returns the guest as its line in the file, with the password
// token redacted.
func (g Guest) String() string {
	return strings.Join([]string{g.Name, g.HostCFName, g.ClusterName, g.CFName, g.IP.String(), g.User, g.Password.String()}, " ")
}

// fields returns the seven fields as they are written to the file.
func (g Guest) fields() [7]string {
	return [7]string{g.Name, g.HostCFName, g.ClusterName, g.CFName, g.IP.String(), g.User, string(g.Password)}
}

// Token is a guest_passwd value: normally the output of the vendor's
// sfcipher -c. It is reversible by anyone who knows the vendor's scheme, so
// it is never printed: String, every fmt verb, JSON and slog show "<token>",
// not even its length (a plain-text password typed by mistake would give
// away that much). Reveal returns the value itself.
type Token string

// Reveal returns the token as it stands in the file.
func (t Token) Reveal() string { return string(t) }

func (t Token) String() string {
	if t == "" {
		return "<no token>"
	}
	return "<token>"
}

// Format makes every verb, %#v and %x included, print the redacted form.
func (t Token) Format(f fmt.State, _ rune) { f.Write([]byte(t.String())) }

// LogValue keeps the token out of structured logs.
func (t Token) LogValue() slog.Value { return slog.StringValue(t.String()) }

// MarshalText keeps the token out of JSON and other encodings.
func (t Token) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// LineKind says what a line of the file holds.
type LineKind int

const (
	LineGuest   LineKind = iota + 1 // a guest: see Line.Guest
	LineBlank                       // an empty line
	LineComment                     // a line starting with #
	LineInvalid                     // a line that could not be read as a guest
)

// Line is one line of the file as read. The writer writes guest lines from
// their Guest and every other line from Text, so blank and comment lines
// survive a round trip.
type Line struct {
	Kind  LineKind
	Text  RawLine // the line without its LF (for LineGuest, as read)
	Guest *Guest  // for LineGuest
}

// RawLine is a line as it stands in the file. It holds a guest_passwd
// token, or on a malformed line perhaps a plain-text password, so it prints
// itself like compare's diff does (RedactLine); Reveal gives the text.
type RawLine string

// Reveal returns the line as it stands in the file.
func (l RawLine) Reveal() string { return string(l) }

func (l RawLine) String() string { return RedactLine(string(l)) }

// Format makes every verb, %#v and %x included, print the redacted form.
func (l RawLine) Format(f fmt.State, _ rune) { f.Write([]byte(l.String())) }

// LogValue keeps the secret out of structured logs.
func (l RawLine) LogValue() slog.Value { return slog.StringValue(l.String()) }

// MarshalText keeps the secret out of JSON and other encodings.
func (l RawLine) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// Config is a whole kvmguests.conf: every line, in order.
type Config struct {
	Lines []Line
}

// Guests returns the guests of c in file order.
func (c *Config) Guests() []Guest {
	var gs []Guest
	for _, l := range c.Lines {
		if l.Kind == LineGuest && l.Guest != nil {
			gs = append(gs, *l.Guest)
		}
	}
	return gs
}

// Add appends a guest line to c.
func (c *Config) Add(g Guest) {
	c.Lines = append(c.Lines, Line{Kind: LineGuest, Guest: &g})
}
