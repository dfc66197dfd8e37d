package sshcheck

import (
	"strings"
	"unicode"
)

// isPasswordPrompt reports whether a keyboard-interactive prompt asks for
// the account's password, so that the password of kvmguests.conf may be
// typed into it. The rule, strict on purpose (a password sent to the wrong
// question is a password disclosed):
//
//   - the prompt names a password: the word "password" in any case (PAM's
//     "Password: ", OpenSSH's "user@host's password: ", "Password for
//     user@host: "), or the word PAM's translations use for it in the
//     locales a guest's sshd may run under (Passwort, mot de passe,
//     contraseña, senha, wachtwoord, пароль, パスワード, 密码, 密碼, 암호,
//     비밀번호);
//   - and it does not ask for something else that a password prompt can be
//     mistaken for: a one-time code ("One-time password (OATH)",
//     "Verification code", OTP, token, PIN, passcode) or a new password
//     ("New password", "Retype", "again", "confirm", and "new" in the
//     languages above), which an expired account asks for.
//
// "Passphrase" does not count: it unlocks a key or a disk, never the
// account that PRIMECLUSTER logs in to.
func isPasswordPrompt(prompt string) bool {
	p := strings.ToLower(prompt)
	words := strings.FieldsFunc(p, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	has := func(w string) bool {
		for _, x := range words {
			if x == w {
				return true
			}
		}
		return false
	}
	for _, w := range []string{"otp", "oath", "totp", "hotp", "token", "pin", "passcode", "code", "verification",
		"new", "retype", "again", "repeat", "confirm", "neues", "nouveau", "nueva", "novo", "nova", "nieuw", "новый"} {
		if has(w) {
			return false
		}
	}
	for _, s := range []string{"one-time", "one time", "onetime", "新"} { // 新: new, in Japanese and Chinese
		if strings.Contains(p, s) {
			return false
		}
	}
	for _, w := range []string{"password", "passwort", "contraseña", "senha", "wachtwoord", "пароль"} {
		if has(w) {
			return true
		}
	}
	for _, s := range []string{"mot de passe", "パスワード", "密码", "密碼", "암호", "비밀번호"} {
		if strings.Contains(p, s) {
			return true
		}
	}
	return false
}
