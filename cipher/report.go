package cipher

// Schema names the JSON form of a Report: what `sfkvm cipher` prints.
// Within v1 fields may be added; a renamed or removed field or a changed
// word makes v2.
const Schema = "sfkvm.cipher/v1"

// Report is what one cipher action made, as JSON: a token (-c) or a key
// file (--new-key). The password is never in it; the token is what the
// action was asked for.
type Report struct {
	Schema string `json:"schema"` // Schema
	// Action is "encrypt" (a token made) or "new_key" (a key file made).
	Action string `json:"action"`
	// Token and Format are the token made and its kind: "sfcipher" (the
	// vendor's) or "sealed" (sfkvm's own, which PRIMECLUSTER cannot read).
	Token  string `json:"token,omitempty"`
	Format string `json:"format,omitempty"`
	// KeyFile and KeyID are the key file written and its key's ID.
	KeyFile string `json:"key_file,omitempty"`
	KeyID   string `json:"key_id,omitempty"`
}
