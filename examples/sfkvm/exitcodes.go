package main

// Exit codes, in the sysexits style (sfkvm help lists them, and the README). Every command uses
// these and no others.
const (
	exitOK          = 0  // all checks held (warnings allowed)
	exitFailed      = 1  // some targets failed
	exitUsage       = 2  // usage error
	exitConfig      = 65 // the configuration has errors (EX_DATAERR)
	exitNoInput     = 66 // an input file is missing or unreadable (EX_NOINPUT)
	exitUnavailable = 69 // a needed service or tool is unavailable (EX_UNAVAILABLE)
	exitNoPerm      = 77 // wrong owner or mode, or not permitted (EX_NOPERM)

	// exitInterrupted ends a run that a signal (SIGINT, SIGTERM) cut
	// short, whatever the command: 128 + SIGINT, as a shell reports it.
	exitInterrupted = 130
)

const exitCodeHelp = `
exit codes:
  0   all checks held (warnings allowed)
  1   some targets failed
  2   usage error
  65  the configuration has errors
  66  an input file is missing or unreadable
  69  a needed service or tool is unavailable
  77  wrong owner or mode, or not permitted
  130 interrupted (SIGINT or SIGTERM); a second signal ends at once
`
