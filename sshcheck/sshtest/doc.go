// Package sshtest is an in-process SSH server for tests and demos of code
// that logs in to KVM guests: real SSH (golang.org/x/crypto/ssh) over real
// TCP on 127.0.0.1, with its own host keys, users with passwords, sudo
// policies and scripted commands. sfkvm's demo builds its lab guests from
// it; sshcheck's tests probe it.
//
//	srv, err := sshtest.Start(sshtest.Config{
//		Users: map[string]sshtest.User{
//			"root":  {Password: "pw"},
//			"admin": {Password: "pw", Sudo: sshtest.SudoNoPassword},
//			"oper":  {Password: "pw", Sudo: sshtest.SudoRequireTTY},
//		},
//		Handler: sshtest.Script{
//			"cftool -l": {Stdout: "Node Number State Os Cpu\ncfguest11 1 UP Linux EM64T\n"},
//			"cftool -c": {Stdout: "cluster1\n"},
//		}.Handler,
//	})
//	defer srv.Close()
//	routes := sshtest.Routes{"192.0.2.10:22": srv.Addr()} // for sshcheck.Options.DialContext
//
// Leave root out of Users to mimic sshd's default PermitRootLogin
// prohibit-password: a root password then fails like a wrong one.
// KnownHostsLine gives the line that makes a client know the server under
// the guest's address.
//
// What it models: password or keyboard-interactive-only login (like UsePAM
// yes with PasswordAuthentication no), counted per user so that a test can
// assert a client never guessed twice; several host keys (to reproduce
// sshd's RSA, ECDSA and Ed25519 set and the algorithm trap); a slow PAM
// stack (AuthDelay); a slow link (Latency: what it sends goes out that
// much later, so every round trip takes that much longer); exec requests parsed like a POSIX shell's simple
// commands (SplitCommand), with leading NAME=value words and a `sudo`
// prefix handled per user the way sudo 1.9 answers under LC_ALL=C
// ("a password is required", "sorry, you must have a tty to run sudo");
// commands that hang until the client kills them, or that stream without
// end (Reply.Stream: a flood of output, terminal escapes); scripted
// keyboard-interactive challenges (Config.Challenge: one-time codes,
// echoed or several prompts, several rounds); public-key login
// (User.AuthorizedKeys, offered only when some user has a key, and
// counted by KeyLogins), for hosts that log in to each other as root by
// key; `chage -l USER` (also behind `env LC_ALL=C`), answered from
// User.Chage for root and through sudo, as shadow's chage answers under
// LC_ALL=C. BlackHole accepts connections and never speaks.
//
// What it does not model: shells, pipes, expansions, port forwarding,
// host certificates, agent forwarding, or any real program: every command answer comes from
// the Handler (Builtin knows true, false and echo; anything else is "not
// found", 127). The words of vendor tools (cftool, sdtool) are whatever the
// caller scripts, following package sdfacility's documentation and the
// docs/vendor-tools.md.
package sshtest
