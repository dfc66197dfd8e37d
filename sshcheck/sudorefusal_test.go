package sshcheck

import (
	"errors"
	"testing"
)

// SudoRefusal knows sudo's own refusals, and nothing else: a command's
// failure (chpasswd's, or one whose text quotes sudo) is not one.
func TestSudoRefusal(t *testing.T) {
	user := &Client{target: Target{Address: "192.0.2.10", User: "user1"}}
	root := &Client{target: Target{Address: "192.0.2.10", User: "root"}}
	for _, tc := range []struct {
		name   string
		c      *Client
		status int
		stderr string
		want   error
	}{
		{"password", user, 1, "sudo: a password is required\n", ErrSudoNeedsPassword},
		{"tty", user, 1, "sudo: sorry, you must have a tty to run sudo\n", ErrSudoNeedsTTY},
		{"after a warning", user, 1, "sudo: unable to resolve host guest1\nsudo: a password is required\n", ErrSudoNeedsPassword},
		{"the command failed", user, 1, "chpasswd: (user user1) pam_chauthtok() failed\n", nil},
		{"another status", user, 2, "sudo: a password is required\n", nil},
		{"success", user, 0, "", nil},
		{"root runs no sudo", root, 1, "sudo: a password is required\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.SudoRefusal("LC_ALL=C sudo -n -- chpasswd", tc.status, []byte(tc.stderr))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("got %v, want none", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, tc.want) || e.Stage != StageSudo || e.Command != "LC_ALL=C sudo -n -- chpasswd" || e.Hint == "" {
				t.Fatalf("got %#v, want %v at the stage sudo with a hint", err, tc.want)
			}
		})
	}
}
