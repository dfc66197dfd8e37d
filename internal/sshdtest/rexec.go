package sshdtest

import (
	"os/exec"
	"regexp"
	"strconv"
	"sync"
)

// sshd re-executes itself for every connection (its -R child), reading
// its configuration and host keys again: some 12 ms of CPU a login here
// (2026-12-08, 50 key logins: 45 to 51 ms with re-exec, 33 to 38 ms with
// -r), paid by every login of the suite's thousand-odd. The labs are
// started fresh and never reconfigured in place (Restart starts a new
// sshd), so they gain nothing from it and run with -r where sshd still
// has it: OpenSSH before 9.8, which split the per-connection part into
// sshd-session and made the re-exec part of its design. Elsewhere sshd
// runs as shipped.

var noRexec struct {
	once sync.Once
	ok   bool
}

// noRexecFlag returns ["-r"] when sshd (a path) is an OpenSSH before
// 9.8, and nil otherwise or when its version cannot be read.
func noRexecFlag(sshd string) []string {
	noRexec.once.Do(func() {
		// sshd -V prints its version (to stderr) and exits 1 on 9.2;
		// older ones print it in their usage.
		out, _ := exec.Command(sshd, "-V").CombinedOutput()
		noRexec.ok = hasNoRexec(string(out))
	})
	if noRexec.ok {
		return []string{"-r"}
	}
	return nil
}

// hasNoRexec reports whether sshd's version text names an OpenSSH whose
// -r turns the per-connection re-exec off (before 9.8).
func hasNoRexec(version string) bool {
	m := regexp.MustCompile(`OpenSSH_(\d+)\.(\d+)`).FindStringSubmatch(version)
	if m == nil {
		return false
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	return major < 9 || major == 9 && minor < 8
}
