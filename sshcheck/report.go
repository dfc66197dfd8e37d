package sshcheck

import (
	"errors"
	"strings"
)

// ProbeSchema names the JSON form of a ProbeReport: what `sfkvm probe`
// prints. Within v1 fields may be added; a renamed or removed field or a
// changed word makes v2.
const ProbeSchema = "sfkvm.probe/v1"

// ProbeReport is the results of probing the guests of one file, as JSON.
// It never holds a password.
type ProbeReport struct {
	Schema string       `json:"schema"` // ProbeSchema
	File   string       `json:"file"`   // the kvmguests.conf whose guests were probed
	OK     int          `json:"ok"`     // guests whose every check held
	Failed int          `json:"failed"` // the others
	Guests []ProbeGuest `json:"guests"`
}

// ProbeGuest is one guest's Result, in the words of kvmguests.conf
// (snake_case: guest_name, guest_ip, guest_user).
type ProbeGuest struct {
	Name    string `json:"guest_name"`
	Address string `json:"guest_ip"`
	Port    int    `json:"port"`
	User    string `json:"guest_user"`
	OK      bool   `json:"ok"`
	// Kind is the failure's kind (Result.Reason), "" when OK.
	Kind string `json:"kind,omitempty"`
	// Reason is "ok", "ok, host key recorded: FINGERPRINT", or the
	// failure's message without the address.
	Reason           string `json:"reason"`
	Hint             string `json:"hint,omitempty"`
	Fingerprint      string `json:"fingerprint,omitempty"`
	KnownFingerprint string `json:"known_fingerprint,omitempty"`
	RemoveCommand    string `json:"remove_command,omitempty"`
	Trusted          bool   `json:"trusted"`
	SudoChecked      bool   `json:"sudo_checked"`
	// DurationSeconds is the probe's wall time (Result.Duration).
	DurationSeconds float64 `json:"duration_seconds"`
}

// NewProbeReport makes the report of the results of probing the guests
// of file.
func NewProbeReport(file string, results []Result) ProbeReport {
	rep := ProbeReport{Schema: ProbeSchema, File: file, Guests: []ProbeGuest{}}
	for _, r := range results {
		j := ProbeGuest{Name: r.Target.Name, Address: r.Target.Address, Port: r.Target.Port, User: r.Target.User,
			OK: r.OK(), Reason: "ok", Hint: r.Hint(), Fingerprint: r.Fingerprint, Trusted: r.Trusted,
			SudoChecked: r.SudoChecked, DurationSeconds: r.Duration.Seconds()}
		if r.OK() {
			rep.OK++
			if r.Trusted {
				// The one moment to compare it with the guest's console,
				// as OpenSSH's first-contact question shows it.
				j.Reason = "ok, host key recorded: " + r.Fingerprint
			}
		} else {
			rep.Failed++
			j.Kind, j.Reason = r.Reason(), r.Err.Error()
			var se *Error
			if errors.As(r.Err, &se) {
				j.Reason = strings.TrimPrefix(j.Reason, se.Address+": ")
				j.KnownFingerprint, j.RemoveCommand = se.KnownFingerprint, se.RemoveCommand
			}
			if r.Trusted {
				// Recorded before the login or sudo failed: the key is in
				// known_hosts now, and this is still the moment to compare
				// it with the guest's console.
				j.Reason += "; host key recorded: " + r.Fingerprint
			}
		}
		rep.Guests = append(rep.Guests, j)
	}
	return rep
}
