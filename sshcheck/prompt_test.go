package sshcheck

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
	"golang.org/x/crypto/ssh"
)

func TestIsPasswordPrompt(t *testing.T) {
	for prompt, want := range map[string]bool{
		"Password: ":                             true, // PAM's pam_unix
		"password:":                              true,
		"admin@guest1's password: ":              true, // OpenSSH without PAM
		"Password for admin@EXAMPLE.COM: ":       true, // pam_krb5, sssd
		"(current) UNIX password: ":              true, // the current one, when it expired
		"Passwort: ":                             true,
		"Mot de passe : ":                        true,
		"Contraseña: ":                           true,
		"パスワード:":                                 true,
		"密码：":                                    true,
		"Verification code (OTP): ":              false,
		"Verification code: ":                    false, // google-authenticator
		"One-time password (OATH) for `admin': ": false, // pam_oath
		"Enter PASSCODE: ":                       false, // SecurID
		"Token: ":                                false,
		"PIN: ":                                  false,
		"New password: ":                         false,
		"Retype new password: ":                  false,
		"Password again: ":                       false,
		"Neues Passwort: ":                       false,
		"新しいパスワード:":                              false,
		"Enter passphrase for key: ":             false,
		"Login: ":                                false,
		"":                                       false,
	} {
		if got := isPasswordPrompt(prompt); got != want {
			t.Errorf("isPasswordPrompt(%q) = %v, want %v", prompt, got, want)
		}
	}
}

// kiLab is a keyboard-interactive-only guest whose rounds are scripted; it
// records every answer the client sent.
type kiLab struct {
	*lab
	mu      sync.Mutex
	answers []string
}

type round struct {
	prompts []string
	echos   []bool
}

// newKILab asks the rounds in order; after a round whose only prompt is a
// password prompt, the answer is checked (and counted) as a password.
func newKILab(t *testing.T, rounds ...round) *kiLab {
	k := &kiLab{}
	k.lab = newLab(t, sshtest.Config{KeyboardInteractiveOnly: true,
		Challenge: func(user string, ask ssh.KeyboardInteractiveChallenge, check func(string) error) error {
			for _, r := range rounds {
				ans, err := ask("", "", r.prompts, r.echos)
				if err != nil {
					return err
				}
				k.mu.Lock()
				k.answers = append(k.answers, ans...)
				k.mu.Unlock()
				if len(ans) == 1 && len(r.prompts) == 1 && strings.Contains(r.prompts[0], "assword") {
					if err := check(ans[0]); err != nil {
						return err
					}
				}
			}
			return nil
		}})
	k.know(t, k.srv.HostKeys()[0])
	return k
}

func (k *kiLab) sent() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.answers)
}

// Only a lone, hidden prompt that asks for a password receives the
// password; every other challenge ends the attempt as "no usable method"
// (or, for the password asked again, "authentication failed"), quoting the
// prompt, and the password is never sent to it.
func TestKeyboardInteractiveAnswersOnlyPasswordPrompts(t *testing.T) {
	pw := func(p string) round { return round{[]string{p}, []bool{false}} }
	for _, tc := range []struct {
		name   string
		rounds []round
		kind   error  // nil: login succeeds
		quoted string // in the message
		sends  int    // times the password is sent
	}{
		{"PAM password", []round{pw("Password: ")}, nil, "", 1},
		{"OpenSSH-style prompt", []round{pw("admin@guest1's password: ")}, nil, "", 1},
		{"Japanese PAM", []round{pw("パスワード:")}, nil, "", 1},
		{"empty round first", []round{{}, pw("Password: ")}, nil, "", 1},
		{"one-time code", []round{pw("Verification code (OTP): ")}, ErrNoUsableMethod, `"Verification code (OTP):"`, 0},
		{"echoed prompt", []round{{[]string{"Password: "}, []bool{true}}}, ErrNoUsableMethod, "echoed", 0},
		{"two prompts in one round", []round{{[]string{"Password: ", "Verification code: "}, []bool{false, false}}}, ErrNoUsableMethod, `"Password:", "Verification code:"`, 0},
		{"second factor after the password", []round{pw("Password: "), pw("Verification code: ")}, ErrNoUsableMethod, `"Verification code:"`, 1},
		{"password asked again", []round{pw("Password: "), pw("Password: ")}, ErrAuthFailed, "asked again", 1},
		{"endless empty rounds", slices.Repeat([]round{{}}, 1000), ErrNoUsableMethod, "more than 5 rounds", 0},
		{"endless empty rounds after the password", append([]round{pw("Password: ")}, slices.Repeat([]round{{}}, 1000)...), ErrNoUsableMethod, "more than 5 rounds", 1},
		{"a thousand prompts", []round{{slices.Repeat([]string{"Code: "}, 1000), make([]bool, 1000)}}, ErrNoUsableMethod, `"Code:", "Code:", "Code:", and 997 more`, 0},
		{"escapes in the prompt", []round{pw("\x1b]0;owned\x07\x1b[2JCode: ")}, ErrNoUsableMethod, `\x1b]0;owned\a\x1b[2JCode:`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newKILab(t, tc.rounds...)
			r := k.prober(t, nil).Probe(ctxT(t), target("admin"))
			switch {
			case tc.kind == nil && r.Err != nil:
				t.Fatalf("Probe: %v, want success", r.Err)
			case tc.kind != nil && !errors.Is(r.Err, tc.kind):
				t.Fatalf("Probe: %v, want %v", r.Err, tc.kind)
			}
			sends := 0
			for _, a := range k.sent() {
				if a == testPassword {
					sends++
				} else if a != "" {
					t.Errorf("the client answered %q", a)
				}
			}
			if sends != tc.sends {
				t.Errorf("the password was sent %d times, want %d", sends, tc.sends)
			}
			if tc.kind == nil {
				return
			}
			msg := r.Err.Error()
			noRawControl(t, "the message", msg)
			if !strings.Contains(msg, tc.quoted) || strings.Contains(msg, testPassword) {
				t.Errorf("message %q: want it to quote %s and never show the password", msg, tc.quoted)
			}
			fate := "the password was not sent"
			if tc.sends > 0 {
				fate = "the password was sent once, to the password prompt before, and not again"
			}
			if !strings.Contains(msg, fate) {
				t.Errorf("message %q does not say %q", msg, fate)
			}
		})
	}
}
