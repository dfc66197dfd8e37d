// Package sdfacility drives PRIMECLUSTER's shutdown facility through sdtool,
// reads its state and its configuration (rcsd.cfg), and reads the local CF
// node name and the cluster name through cftool. It is step 1.7 of the
// F.2.2 procedure (host OS failover for KVM guests): on every node, where
// the shutdown facility runs, sdtool -e then sdtool -b; where it does not,
// sdtool -b; then every agent must be initialised and tested.
//
// The main call:
//
//	f := &sdfacility.Facility{} // /opt/SMAW/bin/sdtool on this machine
//	st, err := f.Restart(ctx)   // sdtool -s; [-e;] -b; wait until ready
//	switch {
//	case errors.Is(err, sdfacility.ErrToolMissing): // no sdtool here
//	case errors.Is(err, sdfacility.ErrAgentFailed): // an agent read InitFailed or TestFailed (*AgentError)
//	case errors.Is(err, sdfacility.ErrNotReady):    // ctx ended first; *WaitError holds the last status
//	case errors.Is(err, sdfacility.ErrMayBeDown):   // sdtool -b failed or hung (*StepError); st is read after it
//	case errors.Is(err, sdfacility.ErrUnconfirmed): // sdtool -s: a table, but a non-zero exit; nothing sent
//	case err != nil:                                // sdtool -e failed (*StepError), or sdtool -s could not run
//	}
//
// Every outcome is a sentinel for errors.Is or a type for errors.As
// (*CommandError, *StepError, *StatusError, *AgentError, *WaitError,
// *UnrecognisedError, *OutputLimitError); a timeout is
// errors.Is(err, context.DeadlineExceeded). There are no Is... helpers.
//
// [Facility.Restart] never sends sdtool -b after a failed sdtool -e. After
// a failed or hung sdtool -e or -b it reads sdtool -s once more
// ([Facility.Recheck], under its own short bound even when ctx has ended)
// and returns that status, never the one read before the step: the
// facility may now be down, and the [*StepError] says so. The wait
// ([Facility.WaitReady]) polls sdtool -s with a pause that doubles from
// PollInterval up to MaxPollInterval, and ends on the first of: every agent
// of every node reads InitWorked (Init State) and TestWorked (Test State);
// an agent reads InitFailed or TestFailed (an [*AgentError] naming node and
// agent); the context ends (a [*WaitError] holding the last status read).
//
// Commands run through a [Runner], a one-method interface declared here:
// [LocalRunner] runs them on this machine (own process group, killed as a
// whole when the context ends; LC_ALL=C; [DefaultCommandTimeout] when the context
// has no deadline; stdout kept up to [DefaultMaxStdout] and stderr up to
// [DefaultMaxStderr], the command stopped with an [*OutputLimitError] past
// either), and any type with the same method, such as an SSH runner from
// another package, runs them elsewhere without either package importing
// the other. Package sdtest holds the fakes: an
// in-process simulation and a fake sdtool program.
//
// [ParseConfig] reads rcsd.cfg ([DefaultConfigPath]), one line per node:
//
//	node[,weight=W][,admIP=IP]:agent=SA,timeout=T[:agent=SA,timeout=T]...
//
// with the weight 1 when absent. It reports every problem as a [diag.Diagnostic]
// printed FILE:LINE:COL: error|warning: CODE: message, and never stops at
// the first. [Config.Marshal] writes a Config back.
//
// A tool's output reaches an error message only quoted ([Excerpt]): control
// bytes and terminal escapes escaped, at most a few hundred bytes, and a
// mark saying how much was left out. The raw bytes stay in the error's
// fields ([CommandError], [Status]) for callers that want them.
//
// # JSON
//
// Report is what `sfkvm sd --format=json` prints (Schema): the steps
// taken, the table read after them, and whether every agent is ready:
//
//	{"schema": "sfkvm.sd/v1", "action": "restart",
//	 "steps": [{"args": ["-s"], "reason": "is the shutdown facility running?"}, ...],
//	 "status": {"running": true, "agents": [{"node": "cfguest11", "agent": "SA_libvirtgp",
//	            "sa_state": "Idle", "shut_state": "Unknown", "test_state": "TestWorked",
//	            "init_state": "InitWorked", "line": 3}],
//	            "exit_status": 0, "stdout": "..."},
//	 "ready": true}
//
// status is left out when sdtool -s could not be read after the last step
// (status_error says why); error says why the action failed.
//
// # What it deliberately does not do
//
// It does not write rcsd.cfg, run sdtool -r, or compare rcsd.cfg between
// nodes; it does not interpret the Shut State column (kills are not part of
// the set-up) and does not retry a failed sdtool -e or -b: a failure is
// reported with sdtool's own words and the caller decides.
//
// # What is unknown about the vendor's tools, and what we decided
//
// sdtool's exit codes and its words when the daemon is not running are not
// public. So: the facility counts as not running when sdtool -s prints no
// table (no header line starting "Cluster Host" and naming "Agent", or a
// header with no rows), whatever its exit status; the raw output is kept
// in [Status] either way. A table with a non-zero exit is neither answer:
// the status keeps its rows with Running false, [Facility.Status] returns
// it with a [*StatusError] ([ErrUnconfirmed]), Restart sends nothing, and
// the wait reads again. Output that is not a table (garbage)
// therefore reads as "not running", and Restart sends sdtool -b as the
// procedure says for that case: a facility that does run refuses it, and
// that refusal is the error. Any non-zero exit of sdtool -e or -b is a
// failure. A state word outside the lists in state.go (the words of
// Fujitsu's documentation of sdtool -s) is kept verbatim and
// flagged (IsKnown false, warning unknown-state), never dropped. An agent
// whose SA State reads InitFailed or TestFailed counts as failed, as does
// one whose Init State or Test State does. A status with no agents, or with
// rows that could not be read, is never ready.
//
// The layouts of cftool -l and cftool -c are not public either. They are
// believed to be a header line and a row starting with the local CF node
// name, and the cluster name alone; [ParseLocalNodeName] and
// [ParseClusterName] read them tolerantly and refuse anything ambiguous with
// an [*UnrecognisedError] that keeps the raw text. cftool's path
// ([DefaultCFTool], /opt/SMAW/bin/cftool) is not confirmed: set CFTool.Path.
//
// Whether sdtool accepts comments, blank lines or white space in rcsd.cfg,
// or the clause keys in another order, is not documented: those are
// warnings. An admIP is an IPv4 or IPv6 address or a host name
// ([AdminHost]): the CF guide's own example (4.3 English and 4.7 Japanese,
// section 7.4.1) is node1,weight=2,admIP=fuji2:agent=SA_mmbp,timeout=20:...
// A name follows RFC 1123 (labels of letters, digits and '-') and its last
// label is not all digits, so that a mistyped IPv4 address stays an error.
// The colons of an IPv6 address stay in the node part because a clause
// starts only at a ':' followed by a word and '='. The 4.5 guide's syntax
// line spells the key admnIP: it is read as admIP, with a warning
// ([CodeAdmnIP]).
//
// # Diagnostic codes
//
// ParseConfig and ParseStatus report [diag.Diagnostics], the one diagnostic
// type of the module (file, line, byte column from 1, field, code,
// severity, message). Every code is an exported constant of this package
// and an error for errors.Is: errors.Is(err, sdfacility.CodeDuplicateNode).
//
// rcsd.cfg (errors):
//
//	too-large         the file is over 1 MiB (CodeTooLarge)
//	no-nodes          no node line at all (CodeNoNodes)
//	cr                a carriage return ends the line (CodeCR)
//	bad-char          a control or non-ASCII byte; the line is skipped (CodeBadChar)
//	empty-node        nothing before the first ',' or ':' (CodeEmptyNode)
//	node-name         the node name holds white space, '=' or ':' (CodeNodeName)
//	bad-option        a node option without '=' (CodeBadOption)
//	unknown-option    a node option other than weight= and admIP= (CodeUnknownOption)
//	duplicate-option  weight= or admIP= given twice (CodeDuplicateOption)
//	bad-weight        weight is not a whole number of at least 1 (CodeBadWeight)
//	bad-admip         admIP is neither an IP address nor an RFC 1123 host name (CodeBadAdmIP)
//	no-agent          a node line without agent clause (CodeNoAgent)
//	empty-clause      an empty agent clause ("::") (CodeEmptyClause)
//	bad-clause        a clause item without '=' (CodeBadClause)
//	unknown-key       a clause key other than agent= and timeout= (CodeUnknownKey)
//	duplicate-key     agent= or timeout= twice in one clause (CodeDuplicateKey)
//	missing-agent     a clause without agent=, or an empty agent name (CodeMissingAgent)
//	missing-timeout   a clause without timeout= (CodeMissingTimeout)
//	bad-timeout       timeout is not a whole number of seconds of at least 1 (CodeBadTimeout)
//	duplicate-agent   the same agent twice for one node (CodeDuplicateAgent)
//	duplicate-node    the same node on two lines (CodeDuplicateNode)
//
// rcsd.cfg (warnings):
//
//	blank-line        a blank line (CodeBlankLine)
//	comment           a comment line (CodeComment)
//	whitespace        leading or trailing white space (CodeWhitespace)
//	no-final-newline  the last line has no newline (CodeNoFinalNewline)
//	name-charset      a node name outside [A-Za-z0-9_.-] (CodeNameCharset)
//	name-length       a node name over 31 bytes (CodeNameLength)
//	agent-name        an agent name that is not SA_ and [A-Za-z0-9_.-] (CodeAgentName)
//	admip-scope       admIP unspecified, loopback or multicast (CodeAdmIPScope)
//	clause-order      timeout= before agent= (CodeClauseOrder)
//	admnip            the key spelled admnIP, read as admIP (CodeAdmnIP)
//
// name-charset and name-length are the CF name rule of kvmguests and
// migratesetup, with the same codes; they were the warning form of
// node-name before the rule was written once.
//
// sdtool -s output, with the file name "sdtool -s":
//
//	no-table       warning: no header line (CodeNoTable)
//	no-rows        warning: a header but no row (CodeNoRows)
//	ignored-line   warning: a line before the header (CodeIgnoredLine)
//	no-dashes      warning: no line of dashes under the header (CodeNoDashes)
//	unknown-state  warning: a state word outside the documented lists (CodeUnknownState)
//	duplicate-row  warning: the same (node, agent) twice (CodeDuplicateRow)
//	row-fields     error: a row without exactly six words (CodeRowFields)
//	bad-char       error: a control or non-ASCII byte in a row; the row is skipped (CodeBadChar)
package sdfacility
