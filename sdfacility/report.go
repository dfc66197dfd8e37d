package sdfacility

// Schema names the JSON form of a Report: what `sfkvm sd` prints. Within
// v1 fields may be added; a renamed or removed field or a changed word
// makes v2.
const Schema = "sfkvm.sd/v1"

// Report is one sd action (status, start, stop, restart) as JSON: the
// steps taken, the table read after them, and whether every agent is
// ready.
type Report struct {
	Schema string   `json:"schema"` // Schema
	Action string   `json:"action"` // status, start, stop or restart
	Steps  []Action `json:"steps"`  // in the order taken; [] for status
	// Status is sdtool -s read after the last step; nil when it could not
	// be read (StatusError says why).
	Status *Status `json:"status,omitempty"`
	// StatusError says why sdtool -s read after a step could not be read
	// (no status then), or why its table is not taken as "running".
	StatusError string `json:"status_error,omitempty"`
	Ready       bool   `json:"ready"`           // Status.Ready()
	Error       string `json:"error,omitempty"` // why the action failed
}
