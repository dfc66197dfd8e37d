package sdfacility_test

import "github.com/sfkvm/sfkvm/sdfacility/sdtest"

// The fake sdtool and cftool of sdtest.Install are links to this test
// binary: when started through one, act as the tool instead of testing.
func init() { sdtest.RunIfInstalled() }
