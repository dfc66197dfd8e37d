package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"strings"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/safefile"
)

func init() {
	commands["cipher"] = command{summary: "encrypt a guest user's password for kvmguests.conf (like sfcipher -c)", run: runCipher}
}

const cipherSynopsis = `-c [--password-stdin] [--sfcipher PATH | --native --key FILE --guest-name NAME --guest-ip IP --guest-user USER] [--format text|json]
       sfkvm cipher --new-key FILE

With -c, asks for the password twice without echo (or reads one line with
--password-stdin), checks PRIMECLUSTER's password policy, and prints the
token for the guest_passwd field of kvmguests.conf. The token comes from
PRIMECLUSTER's own sfcipher (found in /opt/SMAW/bin, /opt/SMAW/SMAWsf/bin or
on PATH, in that order, or named with --sfcipher; it must be root's, in
folders that only root can change, and the file used is shown on stderr):
only its tokens can be read by PRIMECLUSTER. --native --key FILE seals with
sfkvm's own format instead, which PRIMECLUSTER cannot read (for tests, the
demo and in-house credential stores); the token is bound to the guest named
by --guest-name, --guest-ip and --guest-user (the guest-name, guest_IP and
guest_user of its line in kvmguests.conf) and opens for that guest only.
--new-key FILE writes a fresh key file (mode 0600; an existing file is
never overwritten). Ctrl-D at a prompt ends with exit 66.
`

func runCipher(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "cipher", cipherSynopsis)
	encrypt := fs.Bool("c", false, "encrypt a password (the vendor's spelling)")
	passwordStdin := fs.Bool("password-stdin", false, "read the password as one line from stdin (for scripts)")
	sfcipherPath := fs.String("sfcipher", "", "the vendor's sfcipher `PATH` (default: /opt/SMAW/bin, /opt/SMAW/SMAWsf/bin, then PATH)")
	native := fs.Bool("native", false, "seal with sfkvm's own format (PRIMECLUSTER cannot read it); needs --key")
	keyPath := fs.String("key", "", "key `FILE` for --native")
	guestName := fs.String("guest-name", "", "with --native: the guest-name of the token's line in kvmguests.conf")
	guestIP := fs.String("guest-ip", "", "with --native: the guest_IP of the token's line")
	guestUser := fs.String("guest-user", "", "with --native: the guest_user of the token's line")
	newKey := fs.String("new-key", "", "write a fresh key `FILE` (0600, never overwrites)")
	timeout := fs.Duration("timeout", cipher.DefaultSfcipherTimeout, "bound on one run of sfcipher")
	format := formatFlag(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	localPaths(fs, "sfcipher", "key", "new-key")
	usageErr := func(msg string) int {
		fmt.Fprintf(e.stderr, "sfkvm cipher: %s\n", msg)
		fs.Usage()
		return exitUsage
	}
	switch {
	case fs.NArg() > 0:
		return usageErr(fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	case *newKey != "" && *encrypt:
		return usageErr("-c and --new-key do not go together")
	case *newKey != "":
		return cipherNewKey(e, *newKey, *format)
	case !*encrypt:
		return usageErr("say -c to encrypt a password, or --new-key FILE")
	case *keyPath != "" && !*native:
		return usageErr("--key is for --native (sfkvm's own sealed format); add --native if that is what you want")
	case *native && *keyPath == "":
		return usageErr("--native needs --key FILE (make one with sfkvm cipher --new-key FILE)")
	case *native && *sfcipherPath != "":
		return usageErr("--native and --sfcipher do not go together")
	case !*native && (*guestName != "" || *guestIP != "" || *guestUser != ""):
		return usageErr("--guest-name, --guest-ip and --guest-user are for --native (a sealed token is bound to its guest)")
	case *native && (*guestName == "" || *guestIP == "" || *guestUser == ""):
		return usageErr("--native needs --guest-name, --guest-ip and --guest-user: the token opens only for that guest's line in kvmguests.conf")
	}
	var guest cipher.GuestContext
	if *native {
		ip, err := netip.ParseAddr(*guestIP)
		if err != nil || ip.Zone() != "" {
			return usageErr(fmt.Sprintf("--guest-ip %q is not an IP address without a zone, as guest_IP must be", *guestIP))
		}
		guest = cipher.GuestContext{Name: *guestName, IP: ip, User: *guestUser}
	}

	// Choose the encrypter before asking for the password: a missing tool
	// is reported before anyone types anything.
	var enc cipher.Encrypter
	kind := "sfcipher"
	if *native {
		k, err := cipher.LoadKey(*keyPath)
		if err != nil {
			cipherError(e, err)
			return keyFileExit(err)
		}
		defer k.Wipe()
		enc, kind = k.ForGuest(guest), "sealed"
	} else {
		path, code := findVendorTool(e, *sfcipherPath, "")
		if code != exitOK {
			return code
		}
		enc = &cipher.Sfcipher{Path: path, Timeout: *timeout}
	}

	pw, code := readPassword(ctx, e, *passwordStdin)
	if code != exitOK {
		return code
	}
	defer pw.Wipe()

	token, err := enc.Encrypt(ctx, pw.Bytes())
	if err != nil {
		cipherError(e, err)
		var pe *cipher.PolicyError
		switch {
		case errors.As(err, &pe):
			return exitConfig
		case ctx.Err() != nil:
			return exitFailed
		}
		return exitUnavailable
	}
	if kind == "sealed" {
		fmt.Fprintln(e.stderr, "sfkvm cipher: warning: this is an sfkvm sealed token: PRIMECLUSTER cannot read it; never put it in a cluster's kvmguests.conf")
	}
	if *format == "json" {
		writeJSON(e.stdout, cipher.Report{Schema: cipher.Schema, Action: "encrypt", Token: token, Format: kind})
		return exitOK
	}
	fmt.Fprintln(e.stdout, token)
	return exitOK
}

// findVendorTool returns the sfcipher to run, after saying on stderr
// which file it is, or the exit code after saying why there is none. The
// tool receives the password: found or named, it must be root's, in
// folders that only root can change (cipher.CheckTool). nativeHint is
// what the command offers instead (its own flags); "" for cipher's.
func findVendorTool(e *env, path, nativeHint string) (string, int) {
	var p string
	var err error
	if path != "" {
		p, err = cipher.CheckTool(path)
	} else {
		p, err = cipher.FindSfcipher()
	}
	var ue *cipher.UntrustedToolError
	switch {
	case err == nil:
		fmt.Fprintf(e.stderr, "%s: using %s\n", e.name(), p)
		return p, exitOK
	case errors.As(err, &ue):
		cipherError(e, err)
		fmt.Fprintf(e.stderr, "%s: the password would be typed into it; sfkvm runs only a sfcipher that root owns, in folders that only root can change (%s, %s, then PATH)\n", e.name(), "/opt/SMAW/bin", "/opt/SMAW/SMAWsf/bin")
		return "", exitNoPerm
	case path != "":
		fmt.Fprintf(e.stderr, "%s: --sfcipher %s: %s\n", e.name(), path, strings.TrimPrefix(err.Error(), "cipher: "))
		return "", exitUnavailable
	case !errors.Is(err, cipher.ErrSfcipherNotFound):
		cipherError(e, err)
		return "", exitUnavailable
	}
	// What works instead is the command's own (nativeHint), never another
	// command's.
	native := nativeHint
	if native == "" {
		native = `
    sfkvm cipher --new-key FILE
    sfkvm cipher -c --native --key FILE --guest-name NAME --guest-ip IP --guest-user USER
`
	}
	fmt.Fprintf(e.stderr, `%[1]s: %[2]s
%[1]s: PRIMECLUSTER reads only tokens made by its own sfcipher, whose
  algorithm is not public. To get one: run this on a node where PRIMECLUSTER
  is installed, or name the tool with --sfcipher PATH.
%[1]s: for sfkvm's own sealed format instead (tests, the demo,
  in-house credential stores; PRIMECLUSTER cannot read it):%[3]s`, e.name(), strings.TrimPrefix(err.Error(), "cipher: "), native)
	return "", exitUnavailable
}

// readPassword reads the password: one line from stdin with
// --password-stdin, else twice from the terminal without echo. Ctrl-D at
// a prompt (the end of the input) ends the command with exit 66.
func readPassword(ctx context.Context, e *env, fromStdin bool) (cipher.Secret, int) {
	if fromStdin {
		pw, err := readSecret(ctx, e, e.stdin, "")
		if err != nil {
			if ctx.Err() != nil {
				cipherError(e, err)
				return cipher.Secret{}, exitFailed
			}
			fmt.Fprintf(e.stderr, "%s: --password-stdin: %s\n", e.name(), strings.TrimPrefix(err.Error(), "cipher: "))
			return cipher.Secret{}, passwordInputExit(err)
		}
		if err := cipher.CheckPassword(pw.Bytes()); err != nil {
			pw.Wipe()
			cipherError(e, err)
			return cipher.Secret{}, exitConfig
		}
		return pw, exitOK
	}
	f, isFile := e.stdin.(*os.File)
	if !isFile || !isTerminal(f) {
		fmt.Fprintf(e.stderr, "%s: stdin is not a terminal: use --password-stdin to read the password from a pipe\n", e.name())
		return cipher.Secret{}, exitUsage
	}
	prompt := func(text string) (cipher.Secret, int) {
		pw, err := readSecret(ctx, e, f, text)
		switch {
		case err == nil:
			return pw, exitOK
		case ctx.Err() != nil:
			cipherError(e, err)
			return cipher.Secret{}, exitFailed
		case endOfInput(err):
			fmt.Fprintf(e.stderr, "%s: no password entered (end of input); nothing was %s\n", e.name(), e.did())
			return cipher.Secret{}, exitNoInput
		}
		cipherError(e, err)
		return cipher.Secret{}, passwordInputExit(err)
	}
	first, code := prompt(cipher.PromptEnter)
	if code != exitOK {
		return first, code
	}
	// Check before the second prompt: nobody should type twice a password
	// that will be refused.
	if err := cipher.CheckPassword(first.Bytes()); err != nil {
		first.Wipe()
		cipherError(e, err)
		return cipher.Secret{}, exitConfig
	}
	second, code := prompt(cipher.PromptReenter)
	if code != exitOK {
		first.Wipe()
		return second, code
	}
	defer second.Wipe()
	if !first.Equal(second) {
		first.Wipe()
		fmt.Fprintf(e.stderr, "%s: the two entries differ; nothing was %s\n", e.name(), e.did())
		return cipher.Secret{}, exitConfig
	}
	return first, exitOK
}

// cipherError prints err on stderr, without the package prefix that the
// command's own prefix makes redundant.
func cipherError(e *env, err error) {
	fmt.Fprintf(e.stderr, "%s: %s\n", e.name(), strings.TrimPrefix(err.Error(), "cipher: "))
}

// keyFileExit maps a key file error to the CLI's exit codes.
func keyFileExit(err error) int {
	switch {
	case errors.Is(err, cipher.ErrKeyFileExists):
		return exitNoPerm
	case errors.Is(err, cipher.ErrKeyFileFormat):
		return exitConfig
	}
	return secretFileExit(err)
}

// secretFileExit is the exit code for a file that holds a secret (a key
// file, a password file) and was refused by the guarded open: 77 for what
// another user could have planted or read (a symbolic link, another owner,
// group or other bits, no permission), 66 for an input that is missing or
// cannot be read as a file (a FIFO, a device, a folder).
func secretFileExit(err error) int {
	switch {
	case errors.Is(err, safefile.ErrSymlink), errors.Is(err, safefile.ErrOwner),
		errors.Is(err, safefile.ErrMode), errors.Is(err, fs.ErrPermission):
		return exitNoPerm
	}
	return exitNoInput
}

func cipherNewKey(e *env, path string, format outputFormat) int {
	k, err := cipher.CreateKeyFile(path)
	if err != nil {
		cipherError(e, err)
		return keyFileExit(err)
	}
	defer k.Wipe()
	fmt.Fprintf(e.stderr, "sfkvm cipher: wrote a new key to %s (mode 0600, key id %s); back it up: without it, its tokens cannot be opened\n", path, k.ID())
	if format == "json" {
		writeJSON(e.stdout, cipher.Report{Schema: cipher.Schema, Action: "new_key", KeyFile: path, KeyID: k.ID()})
	}
	return exitOK
}
