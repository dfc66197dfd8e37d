package sshcheck

import (
	"bytes"
	"fmt"
	"strings"
)

// An expired password (or one that must be changed, chage -d 0) is right,
// and yet PRIMECLUSTER cannot log in with it. Real OpenSSH with PAM shows
// it in one of two ways, and both are told apart from a wrong password:
//
//   - keyboard-interactive: after the password, PAM asks for the change in
//     a further round: "You are required to change your password
//     immediately (password expired)" with "Current password:" or "New
//     password:". The password is not sent again; the attempt ends as
//     ErrPasswordExpired.
//   - password authentication (and key login, for an account whose
//     password expired): sshd lets the user in, then refuses every
//     command with "Password change required but no TTY available." on
//     stderr. A command (sudo -n true of a probe, or any Run) ends as
//     ErrPasswordExpired, not as a command that failed.
//
// sshd's message is not translated; PAM's are, and only the English ones
// are recognized (elsewhere the further round reads as a refusal of the
// password, as before).

// sshdNoTTYChange is what sshd prints instead of running a command for an
// account whose password must be changed (session.c).
const sshdNoTTYChange = "Password change required but no TTY available"

// mustChangeBeforeCommands reports whether a command's output is sshd's
// refusal to run it until the password is changed.
func mustChangeBeforeCommands(stdout, stderr []byte) bool {
	return len(stdout) == 0 && bytes.Contains(stderr, []byte(sshdNoTTYChange))
}

// asksPasswordChange reports whether a keyboard-interactive round is PAM
// asking for a new password after an accepted one.
func asksPasswordChange(name, instruction string, questions []string) bool {
	text := strings.ToLower(name + "\n" + instruction + "\n" + strings.Join(questions, "\n"))
	for _, s := range []string{"required to change your password", "password has expired", "password expired",
		"password change required", "changing password for"} {
		if strings.Contains(text, s) {
			return true
		}
	}
	return false
}

// passwordExpiredHint says what to do about an expired password: on a
// host reached by key, sshd (UsePAM) refuses commands all the same.
func passwordExpiredHint(t Target) string {
	if t.Keys != nil {
		return fmt.Sprintf("the password of %s on the host has expired or must be changed (chage -l %s shows which); its sshd runs no command, even for a key login, until it is changed (passwd %s)",
			escapeText(t.User, 64), escapeText(t.User, 64), escapeText(t.User, 64))
	}
	return fmt.Sprintf("the password of %s is right but has expired or must be changed (chage -l %s on the guest shows which); "+
		"PRIMECLUSTER cannot log in until it is changed: set a new password on the guest and its token in kvmguests.conf on every host",
		escapeText(t.User, 64), escapeText(t.User, 64))
}
