package migratesetup

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"time"

	"github.com/sfkvm/sfkvm/diag"
	"github.com/sfkvm/sfkvm/internal/jsonwire"
)

// The JSON reports of this package (see the package doc for examples).
// Within v1 fields may be added; a renamed or removed field or a changed
// word makes v2.
const (
	// Schema names the JSON form of a Report: what `sfkvm migratesetup`
	// prints.
	Schema = "sfkvm.migratesetup/v1"
	// ReadingSchema names the JSON form of a Reading: what `sfkvm
	// hostinfo` prints in a guest.
	ReadingSchema = "sfkvm.hostinfo/v1"
)

// The actions of a Report.
const (
	ActionRegister = "register" // -c: Register
	ActionSetup    = "setup"    // -s: SetupGuests
	ActionRemove   = "remove"   // -d: RemoveGuests
)

// Report is the outcome of one registration (Host, Warnings) or one run
// over guests (Results), as JSON.
type Report struct {
	Schema string `json:"schema"` // Schema
	Action string `json:"action"` // ActionRegister, ActionSetup or ActionRemove
	// Path is the host information file written (register) or put in the
	// guests' definitions (setup, remove).
	Path string `json:"path"`
	// Host is what was registered; nil for setup and remove.
	Host *HostInfo `json:"host,omitempty"`
	// Warnings are those of the registered values (register); left out
	// when there are none.
	Warnings diag.Diagnostics `json:"warnings,omitempty"`
	// Results are one per guest, in the order given (setup, remove).
	Results []Result `json:"results,omitempty"`
}

// Reading is one reading of the host information disk inside a guest.
type Reading struct {
	Schema string     `json:"schema"`         // ReadingSchema
	Time   *time.Time `json:"time,omitempty"` // when read, for a series of readings
	Device string     `json:"device"`         // the disk read
	Host   HostInfo   `json:"host"`
}

// wireHostInfo is HostInfo as JSON, in the words of the file and of -w.
type wireHostInfo struct {
	CFName     string     `json:"host_cfname"`
	IP         netip.Addr `json:"host_ip"`
	WeightLink string     `json:"weight_link"`
}

// MarshalJSON writes h as {"host_cfname": "cfhost1", "host_ip":
// "192.0.2.1", "weight_link": "on"}: the file's words ("off" is the
// vendor's -w off).
func (h HostInfo) MarshalJSON() ([]byte, error) {
	return jsonwire.Marshal(wireHostInfo{h.CFName, h.IP, h.WeightLink()})
}

// UnmarshalJSON reads what MarshalJSON writes; weight_link must be "on"
// or "off". It does not Check the values.
func (h *HostInfo) UnmarshalJSON(b []byte) error {
	var w wireHostInfo
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if w.WeightLink != "on" && w.WeightLink != "off" {
		return fmt.Errorf("migratesetup: weight_link is %q, not on or off", w.WeightLink)
	}
	*h = HostInfo{CFName: w.CFName, IP: w.IP, NoWeightLink: w.WeightLink == "off"}
	return nil
}
