// Package cipher holds everything about the guest_passwd field of
// kvmguests.conf: the password policy (step 1.2 of PRIMECLUSTER's F.2.2
// procedure), the vendor's sfcipher -c driven as an API (step 1.3), a
// sealed format of sfkvm's own for use without PRIMECLUSTER, and a Secret
// type for passwords that must never be shown.
//
// # Which tokens PRIMECLUSTER can read
//
// Only tokens printed by the vendor's sfcipher -c: an even-length run of
// uppercase hexadecimal digits such as D0860AB04E1B8FA3 ([IsVendorToken]).
// The shapes of both kinds of token are defined in the leaf package
// cipher/token, for parsers that need them without the rest of this package.
// sfcipher's algorithm and key are not public, so this package never
// imitates them and never makes such a token itself: [Sfcipher] runs the
// real tool on a pseudo-terminal (it reads the password from its terminal
// only), answers its two prompts, and returns what it prints.
//
//	token, err := (&cipher.Sfcipher{}).Encrypt(ctx, password) // finds sfcipher itself
//
// The tool receives the password, so only a tool that root alone could
// have put there runs. [FindSfcipher] looks in /opt/SMAW/bin, then
// /opt/SMAW/SMAWsf/bin, then on PATH, and returns the first sfcipher found
// only if it passes [CheckTool]: symlinks resolved, the file and every
// folder of its real path, from / down, owned by root and not writable by
// group or others (a sticky world-writable folder such as /tmp is refused
// too, as OpenSSH's safe_path refuses it). A tool named in Sfcipher.Path
// is checked the same way. A refusal is an *[UntrustedToolError] that
// names the file or folder and the reason.
//
// # Why a sealed format of our own
//
// Tests, the demo, and in-house stores of credentials need tokens where
// PRIMECLUSTER is not installed. For them, [Key.Seal] makes a token of
// sfkvm's own sealed format ([IsSealedToken]): [SealedPrefix] ("sfkvm1.")
// and base64url without padding of a format version, a key id, a random
// nonce and the XChaCha20-Poly1305 ciphertext of the padded secret, under
// a 32-byte key kept in a key file ([CreateKeyFile], [LoadKey]; the file
// format is one line, "sfkvm-key 1 " and the key in base64url, mode 0600).
// PRIMECLUSTER cannot read a sealed token, and its lowercase prefix
// guarantees that it can never be mistaken for, or checked as, a vendor
// token: never put one in a cluster's kvmguests.conf.
//
// A token is bound to its guest: Seal and [Key.Open] take a [GuestContext]
// (guest-name, guest_IP and guest_user of the token's line), which the
// token authenticates. Swapping two guests' tokens in kvmguests.conf does
// not give each the other's password: neither opens. Tokens of the
// format's version 1 were bound to no guest; Seal makes version 2 only,
// and [Key.OpenWith] opens version 1 only with
// [OpenOptions].AllowVersion1, returning a [ResealWarning] that the caller
// shows.
//
//	key, err := cipher.LoadKey("/etc/sfkvm/sfkvm.key")
//	guest := cipher.GuestContext{Name: "guest11", IP: netip.MustParseAddr("192.0.2.11"), User: "user1"}
//	token, err := key.Seal(secret, guest)
//	secret, err = key.Open(token, guest)
//
// # The policy
//
// [CheckPassword] applies the documented rules (not empty, 7-bit ASCII,
// none of > < " / \ = ! ? ; , &) and one that we add: no control
// character or DEL, which cannot be typed at a prompt (the terminal turns
// them into signals or line edits). Its *[PolicyError] names the rule, the
// 1-based position and the offending character or its class, never the
// password. Both encrypters check the policy first.
//
// # Secrets
//
// [Secret] holds a password as bytes that redact themselves in fmt, JSON
// and log/slog, and that Wipe zeroes. It is the one password type of the
// module, from file to wire: its Password method makes it an
// sshcheck.PasswordSource as it is.
//
// [ReadPassword] is the one reader of every password input (stdin, a
// terminal with echo off, a password file): at most one bounded line, LF
// or CRLF, read byte by byte into a buffer that it wipes on error; an
// empty input, a line without its end or a line too long is an error that
// never tells the password's length. Files that hold a secret (key files,
// [ReadPasswordFile]) go through one guarded open: no symlink, FIFO or
// device (a FIFO does not block the open), owned by root or the caller, no
// permission bits for group or others, checked on the opened file.
//
// # JSON
//
// Report is what `sfkvm cipher --format=json` prints (Schema): the token
// of -c,
//
//	{"schema": "sfkvm.cipher/v1", "action": "encrypt", "token": "D0860AB04E1B8FA3", "format": "sfcipher"}
//
// (format "sealed" for sfkvm's own tokens), or the key file of --new-key,
//
//	{"schema": "sfkvm.cipher/v1", "action": "new_key", "key_file": "/etc/opt/sfkvm/key", "key_id": "e2ea19b1"}
//
// # What this package does not do, and what is unknown
//
// It does not decrypt vendor tokens, and does not check that a vendor
// token is the encryption of a given password: that needs the vendor's
// key. What is unknown about sfcipher, and what we decided:
//   - its messages other than the two prompts, and its exit codes: any
//     other question, the two prompts in another order or one of them
//     twice, a non-zero exit, or output that is not an uppercase-hexadecimal
//     token is an error that quotes the tool's words, cut short (with the
//     password removed, should the tool ever echo it), and no question but
//     the one due is ever answered;
//   - how much it prints: a run that prints more than
//     [DefaultSfcipherMaxOutput] (64 KiB) is stopped, and one that outlives
//     [DefaultSfcipherTimeout] is killed;
//   - whether its prompts follow the locale: it runs with LC_ALL=C;
//   - how it reads the terminal: Encrypt waits until the tool has turned
//     echo off before it types the password, and refuses to type it into a
//     terminal that would show it;
//   - the longest password it takes: a terminal line holds 4094 bytes, and
//     longer passwords are refused before the tool runs.
//
// The package works on Linux (pseudo-terminals, O_NOFOLLOW, file owners).
package cipher
