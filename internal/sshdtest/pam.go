package sshdtest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The labs' PAM is the machine's, but for two Debian habits that RHEL
// and SLES, the systems sfkvm's guests run, do not have and that cost
// this suite on each of its hundreds of logins:
//
//   - pam.d/sshd: Debian's pam_motd line runs /etc/update-motd.d (env,
//     run-parts, a script, uname) on every login, commands too; a Debian
//     and Ubuntu patch that upstream PAM does not have. Some 25 to 45 ms
//     of CPU a login on this project's machine.
//   - pam.d/common-password: Debian's pam_unix hashes a new password with
//     yescrypt (16 MiB of memory a hash, by design); RHEL's and SLES's
//     with SHA-512. Every password that rotate or enroll sets goes
//     through chpasswd and this line, and every later login checks that
//     hash: some 140 ms of CPU a login more with yescrypt here.
//
// pamEdits lists them: a file under /etc and the edit of its contents
// (the new contents, and whether anything changed).
type pamEdit struct {
	file string
	edit func(stack string) (string, bool)
}

var pamEdits = []pamEdit{
	{"pam.d/sshd", dropUpdateMotd},
	{"pam.d/common-password", sha512Passwords},
}

func isUpdateMotd(line string) bool {
	f := strings.Fields(line)
	return len(f) > 2 && f[0] == "session" && strings.HasPrefix(f[2], "pam_motd.so") && strings.Contains(line, "motd=/run/motd.dynamic")
}

// dropUpdateMotd returns stack without its update-motd lines, and whether
// it had any.
func dropUpdateMotd(stack string) (string, bool) {
	var kept strings.Builder
	dropped := false
	for _, l := range strings.SplitAfter(stack, "\n") {
		if isUpdateMotd(l) {
			dropped = true
			continue
		}
		kept.WriteString(l)
	}
	return kept.String(), dropped
}

// sha512Passwords returns stack with pam_unix's password lines hashing
// with sha512 where they name yescrypt, and whether any did.
func sha512Passwords(stack string) (string, bool) {
	var out strings.Builder
	changed := false
	for _, l := range strings.SplitAfter(stack, "\n") {
		f := strings.Fields(l)
		// The control field may hold spaces ("[success=1 default=ignore]").
		if m := slices.Index(f, "pam_unix.so"); m > 1 && f[0] == "password" {
			if i := slices.Index(f, "yescrypt"); i > m {
				f[i], changed = "sha512", true
				l = strings.Join(f, " ") + "\n"
			}
		}
		out.WriteString(l)
	}
	return out.String(), changed
}

// apply returns e's edit of the file at path, and whether it changed
// anything; a missing file is no change.
func (e pamEdit) apply(path string) ([]byte, bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	edited, changed := e.edit(string(data))
	return []byte(edited), changed, nil
}

// labPAM writes, in dir, the machine's PAM files that pamEdits change,
// changed, and returns the shell lines that bind them over the machine's
// in sshd's own mount namespace (sshd, its sessions and the sudo and
// chpasswd they run see them); "" when no file needs a change (RHEL,
// SLES), or none is there.
func labPAM(dir string) (string, error) {
	var binds strings.Builder
	for _, e := range pamEdits {
		orig := "/etc/" + e.file
		edited, changed, err := e.apply(orig)
		if err != nil || !changed {
			continue // an unreadable stack is the machine's, left as it is
		}
		f := filepath.Join(dir, strings.ReplaceAll(e.file, "/", "-"))
		if err := os.WriteFile(f, edited, 0o644); err != nil {
			return "", err
		}
		binds.WriteString("mount --bind '" + strings.ReplaceAll(f, "'", `'\''`) + "' " + orig + "\n")
	}
	return binds.String(), nil
}

// LabPAMIn makes the PAM files of etc, a lab's copy of /etc that its
// Config.Setup binds over the machine's, as Start makes the machine's
// for its sshd (pamEdits): that bind hides Start's, so the copy must
// change itself. A file that needs no change, or is missing, is left.
func LabPAMIn(etc string) error {
	for _, e := range pamEdits {
		f := filepath.Join(etc, e.file)
		edited, changed, err := e.apply(f)
		if err != nil {
			return err
		}
		if changed {
			if err := os.WriteFile(f, edited, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
