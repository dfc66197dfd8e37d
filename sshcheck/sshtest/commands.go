package sshtest

import (
	"io"
	"strings"
)

// Sudo is what `sudo -n` does for a user, with the messages of sudo 1.9
// under LC_ALL=C.
type Sudo int

const (
	SudoNoPassword   Sudo = iota // NOPASSWD: ALL, the rule of step 1.2
	SudoPassword                 // a rule without NOPASSWD
	SudoNotInSudoers             // says the same as SudoPassword under -n, as real sudo does
	SudoRequireTTY               // Defaults requiretty
	SudoMissing                  // sudo is not installed
)

// The stderr of real sudo and sh, under LC_ALL=C.
const (
	MsgSudoPasswordRequired = "sudo: a password is required\n"
	MsgSudoRequireTTY       = "sudo: sorry, you must have a tty to run sudo\n"
)

// Command is one command a client ran.
type Command struct {
	User string            // who logged in
	Line string            // the command line as received
	Env  map[string]string // leading NAME=value words
	Args []string          // the words after them and after any `sudo -n [--]`
	Sudo bool              // it came through sudo, which let it run as root
	// Stdin is what the client sends the command (until it closes its
	// side): a handler of chpasswd reads USER:PASSWORD lines from it.
	Stdin io.Reader
}

// Reply is what a command prints and how it exits.
type Reply struct {
	Stdout, Stderr string
	ExitStatus     int
	Hang           bool // never finish, until the client kills the session or the server closes
	// Stream, when set, runs after Stdout and Stderr are sent and may
	// write as much as it likes (an endless stream, escape sequences); a
	// write fails once the client closes the session or the server
	// closes. The command exits when Stream returns.
	Stream func(stdout, stderr io.Writer)
}

// Handler answers a command. It is called concurrently.
type Handler func(Command) Reply

// Builtin knows true, false and echo; any other command is not found (127).
func Builtin(c Command) Reply {
	if len(c.Args) == 0 {
		return Reply{}
	}
	switch c.Args[0] {
	case "true":
		return Reply{}
	case "false":
		return Reply{ExitStatus: 1}
	case "echo":
		return Reply{Stdout: strings.Join(c.Args[1:], " ") + "\n"}
	}
	return NotFound(c.Args[0])
}

// NotFound is the reply of sh for a missing program.
func NotFound(name string) Reply {
	return Reply{Stderr: "sh: 1: " + name + ": not found\n", ExitStatus: 127}
}

// Script answers commands by their words joined with single spaces
// ("cftool -l", "ssh-keygen -F 192.0.2.1 -f /root/.ssh/known_hosts"),
// and falls back to Builtin:
//
//	sshtest.Script{"cftool -c": {Stdout: "cluster1\n"}}.Handler
type Script map[string]Reply

// Handler returns the Handler of the script.
func (s Script) Handler(c Command) Reply {
	if r, ok := s[strings.Join(c.Args, " ")]; ok {
		return r
	}
	return Builtin(c)
}

// exec parses the line, applies the user's sudo policy and calls the handler.
func (s *Server) exec(user, line string, stdin io.Reader) Reply {
	env, args, err := SplitCommand(line)
	c := Command{User: user, Line: line, Env: env, Args: args, Stdin: stdin}
	defer func() {
		s.mu.Lock()
		s.commands = append(s.commands, c)
		s.mu.Unlock()
	}()
	if err != nil {
		return Reply{Stderr: "sh: 1: Syntax error: " + err.Error() + "\n", ExitStatus: 2}
	}
	if len(args) > 0 && args[0] == "sudo" {
		rest, nonInteractive := sudoArgs(args[1:])
		if r, ok := s.sudo(user, nonInteractive); !ok {
			return r
		}
		c.Args, c.Sudo = rest, true
	}
	if r, ok := s.chage(user, c); ok {
		return r
	}
	return s.cfg.Handler(c)
}

// neverExpires is `LC_ALL=C chage -l` of a new Debian account, less its
// first line's date.
const neverExpires = `Password expires					: never
Password inactive					: never
Account expires						: never
Minimum number of days between password change		: 0
Maximum number of days between password change		: 99999
Number of days of warning before password expires	: 7
`

// chage answers `chage -l USER`, also behind `env NAME=VALUE...`, from
// the users' Chage.
func (s *Server) chage(user string, c Command) (Reply, bool) {
	args := c.Args
	if len(args) > 0 && args[0] == "env" {
		args = args[1:]
		for len(args) > 0 && strings.Contains(args[0], "=") {
			args = args[1:]
		}
	}
	if len(args) != 3 || args[0] != "chage" || args[1] != "-l" {
		return Reply{}, false
	}
	if user != "root" && !c.Sudo && args[2] != user {
		return Reply{Stderr: "chage: Permission denied.\n", ExitStatus: 1}, true
	}
	u, ok := s.cfg.Users[args[2]]
	switch {
	case !ok:
		return Reply{Stderr: "chage: user '" + args[2] + "' does not exist in /etc/passwd\n", ExitStatus: 1}, true
	case u.Chage == "":
		return Reply{Stdout: "Last password change\t\t\t\t\t: Nov 30, 2026\n" + neverExpires}, true
	}
	return Reply{Stdout: u.Chage}, true
}

// sudoArgs strips sudo's options; it knows -n and --.
func sudoArgs(args []string) (rest []string, nonInteractive bool) {
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		a := args[0]
		args = args[1:]
		if a == "--" {
			break
		}
		if a == "-n" {
			nonInteractive = true
		}
	}
	return args, nonInteractive
}

func (s *Server) sudo(user string, nonInteractive bool) (Reply, bool) {
	if user == "root" {
		return Reply{}, true
	}
	switch s.cfg.Users[user].Sudo {
	case SudoNoPassword:
		return Reply{}, true
	case SudoRequireTTY:
		return Reply{Stderr: MsgSudoRequireTTY, ExitStatus: 1}, false
	case SudoMissing:
		return NotFound("sudo"), false
	}
	if !nonInteractive {
		return Reply{Stderr: "sudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper\n", ExitStatus: 1}, false
	}
	return Reply{Stderr: MsgSudoPasswordRequired, ExitStatus: 1}, false
}
