package sdfacility

// The four state columns of sdtool -s, each its own type so that a Test
// State can never be compared with an Init State by mistake. The word
// lists are those of Fujitsu's documentation of sdtool -s. A word outside
// them is kept verbatim (the value is the word as printed) and IsKnown
// reports false; the row is then flagged with an unknown-state warning
// rather than dropped.

// SAState is the "SA State" column: what the shutdown agent is doing now.
type SAState string

const (
	SAIdle         SAState = "Idle"
	SAInitIng      SAState = "Init-ing"
	SAInitWorked   SAState = "InitWorked"
	SAInitFailed   SAState = "InitFailed"
	SATesting      SAState = "Testing"
	SATestWorked   SAState = "TestWorked"
	SATestFailed   SAState = "TestFailed"
	SAKilling      SAState = "Killing"
	SAKillWorked   SAState = "KillWorked"
	SAKillFailed   SAState = "KillFailed"
	SAUnInitIng    SAState = "UnInit-ing"
	SAUnInitWorked SAState = "UnInitWorked"
	SAUnInitFailed SAState = "UnInitFailed"
)

// IsKnown reports whether s is one of the documented SA State words.
func (s SAState) IsKnown() bool {
	switch s {
	case SAIdle, SAInitIng, SAInitWorked, SAInitFailed, SATesting, SATestWorked,
		SATestFailed, SAKilling, SAKillWorked, SAKillFailed, SAUnInitIng,
		SAUnInitWorked, SAUnInitFailed:
		return true
	}
	return false
}

// ShutState is the "Shut State" column: the result of the last kill.
type ShutState string

const (
	ShutUnknown    ShutState = "Unknown"
	ShutKilling    ShutState = "Killing"
	ShutKillWorked ShutState = "KillWorked"
	ShutKillFailed ShutState = "KillFailed"
)

// IsKnown reports whether s is one of the documented Shut State words.
func (s ShutState) IsKnown() bool {
	switch s {
	case ShutUnknown, ShutKilling, ShutKillWorked, ShutKillFailed:
		return true
	}
	return false
}

// TestState is the "Test State" column: the result of the last periodic
// test of the agent (the daemon tests every agent every 10 minutes).
type TestState string

const (
	TestUnknown    TestState = "Unknown"
	TestTesting    TestState = "Testing"
	TestTestWorked TestState = "TestWorked"
	TestTestFailed TestState = "TestFailed"
)

// IsKnown reports whether s is one of the documented Test State words.
func (s TestState) IsKnown() bool {
	switch s {
	case TestUnknown, TestTesting, TestTestWorked, TestTestFailed:
		return true
	}
	return false
}

// InitState is the "Init State" column: the result of the agent's
// initialisation (or un-initialisation).
type InitState string

const (
	InitUnknown      InitState = "Unknown"
	InitInitIng      InitState = "Init-ing"
	InitInitWorked   InitState = "InitWorked"
	InitInitFailed   InitState = "InitFailed"
	InitUnInitIng    InitState = "UnInit-ing"
	InitUnInitWorked InitState = "UnInitWorked"
	InitUnInitFailed InitState = "UnInitFailed"
)

// IsKnown reports whether s is one of the documented Init State words.
func (s InitState) IsKnown() bool {
	switch s {
	case InitUnknown, InitInitIng, InitInitWorked, InitInitFailed,
		InitUnInitIng, InitUnInitWorked, InitUnInitFailed:
		return true
	}
	return false
}
