// Package sdtest fakes PRIMECLUSTER's sdtool and cftool for tests and demos,
// following what package sdfacility's documentation says about them
// (doc.go and state.go there): the sdtool -s table, the start and stop commands, the
// agents' walk from Init-ing to InitWorked and TestWorked, and their
// failures.
//
// Two forms share one model ([Config]):
//
//   - [Sim] is an in-process [sdfacility.Runner]: hand it to a
//     sdfacility.Facility or CFTool, for unit tests (with testing/synctest)
//     and for the sfkvm demo.
//   - [Install] puts a fake sdtool and cftool program in a temporary folder
//     (links to the running test binary, which acts as the tool when started
//     through them: call [RunIfInstalled] from an init function or TestMain
//     of the test package). Its state lives in that folder, so that tests of
//     sdfacility.LocalRunner and of the CLI run real processes with real
//     exit codes, hangs and process groups.
//
// Both record every call ("sdtool -s", "sdtool -b", ...) so that a test can
// assert the exact sequence.
//
// The fake's wording when the daemon is not running, and its exit codes
// (1 for a refused command), are made up: the real ones are not public. The
// agents advance one step per sdtool -s read (Config.ReadsPerStep), not with
// the clock, so that a test decides exactly when they become ready.
package sdtest
