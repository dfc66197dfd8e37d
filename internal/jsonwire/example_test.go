package jsonwire_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sfkvm/sfkvm/internal/jsonwire"
)

type result struct {
	Target string `json:"target"`
	Err    error  `json:"-"`
}

// A report's MarshalJSON writes its error as text, without HTML escaping;
// its UnmarshalJSON gives back an error with that text.
func (r result) MarshalJSON() ([]byte, error) {
	return jsonwire.Marshal(struct {
		Target string `json:"target"`
		Error  string `json:"error,omitempty"`
	}{r.Target, jsonwire.ErrText(r.Err)})
}

func (r *result) UnmarshalJSON(b []byte) error {
	var w struct{ Target, Error string }
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = result{w.Target, jsonwire.Err(w.Error)}
	return nil
}

func Example() {
	// A name with a byte that is not UTF-8 (0xFF) keeps it visible.
	b, _ := jsonwire.Marshal(result{jsonwire.Text("guest\xff11"), errors.New("<token hmac:1a2b> refused")})
	fmt.Println(string(b))
	var back result
	json.Unmarshal(b, &back)
	fmt.Println(back.Err)
	// Output:
	// {"target":"guest\\xff11","error":"<token hmac:1a2b> refused"}
	// <token hmac:1a2b> refused
}
