package main

import (
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/sdfacility"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// The two text tables that do not go through internal/table's Write
// escape their cells all the same: sd's (sdtool's words) and probe's
// (names from kvmguests.conf, reasons partly from the guest).

func TestSDTableEscapes(t *testing.T) {
	for name, s := range testenv.HostileText {
		var b strings.Builder
		printSDTable(&b, &sdfacility.Status{Agents: []sdfacility.AgentStatus{{
			Node: "node-" + s, Agent: s, SAState: sdfacility.SAState(s), ShutState: "Unknown", TestState: "TestWorked", InitState: "InitWorked",
		}}})
		if raw := testenv.RawTerminalControl(b.String()); raw != "" {
			t.Errorf("%s: sd's table holds a raw %s:\n%q", name, raw, b.String())
		}
	}
}

func TestProbeTextEscapes(t *testing.T) {
	for name, s := range testenv.HostileText {
		var out, errb strings.Builder
		writeProbeText(&out, &errb, sshcheck.ProbeReport{Guests: []sshcheck.ProbeGuest{{
			Name: "guest-" + s, Address: "192.0.2.1", User: s, Reason: "sudo: " + s, Hint: "hint " + s, RemoveCommand: "ssh-keygen -R " + s,
		}}, Failed: 1})
		if raw := testenv.RawTerminalControl(out.String() + errb.String()); raw != "" {
			t.Errorf("%s: probe's output holds a raw %s:\n%q\n%q", name, raw, out.String(), errb.String())
		}
	}
}
