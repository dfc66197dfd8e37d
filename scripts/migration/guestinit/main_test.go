package main

import (
	"errors"
	"testing"

	"github.com/sfkvm/sfkvm/migratesetup"
)

func TestName(t *testing.T) {
	if got := name(migratesetup.HostInfo{CFName: "cfhostA"}, nil); got != "cfhostA" {
		t.Errorf("name = %q", got)
	}
	// One word, so that the report stays parseable.
	if got := name(migratesetup.HostInfo{}, errors.New("no host information disk at /dev/vda")); got != "error:no_host_information" {
		t.Errorf("name of an error = %q", got)
	}
}
