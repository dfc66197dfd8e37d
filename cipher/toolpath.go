package cipher

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/sfkvm/sfkvm/internal/safefile"
)

// Where sfcipher is looked for, and whom it must belong to. The tool
// receives the password, so a program that anyone but root could have put
// or changed is never run:
//
//   - the vendor's folders come first, then PATH (a PATH that puts some
//     other folder first does not decide which program gets the password);
//   - the first sfcipher found is the one checked: if it fails the check,
//     the search ends there with an error, it does not go on to the next;
//   - symlinks are resolved first, then the file and every folder of its
//     real path, from / down, must be owned by root and not writable by
//     group or others. A sticky bit does not help: like OpenSSH's
//     safe_path, a world-writable folder such as /tmp is refused even when
//     it is sticky and root's, since a tool has no business there.
//
// The variables below are the production values; the package's tests
// change them to run with files in a folder of their own.
var (
	// vendorDirs are searched, in order, before PATH: where PRIMECLUSTER
	// installs its commands.
	vendorDirs = []string{"/opt/SMAW/bin", "/opt/SMAW/SMAWsf/bin"}
	// trustRoot is where the check of the folders above a tool starts,
	// for a tool below it ("/": every folder).
	trustRoot = "/"
	// trustedUID must own the tool and every folder above it: root.
	trustedUID = 0
)

// ErrUntrustedTool: the tool, or a folder above it, could have been put
// or changed by someone other than root. It comes in an
// *UntrustedToolError.
var ErrUntrustedTool = errors.New("not trusted with a password")

// UntrustedToolError says which file or folder made a tool untrusted, and
// why.
type UntrustedToolError struct {
	Path   string // the tool, as it was named or found
	File   string // the file or folder that failed the check, on the tool's real path
	Reason string // e.g. "owned by uid 1000, not root", "writable by group or others (mode drwxrwxrwt)"
}

func (e *UntrustedToolError) Error() string {
	if e.File == e.Path {
		return fmt.Sprintf("cipher: %s is %v: it is %s", e.Path, ErrUntrustedTool, e.Reason)
	}
	return fmt.Sprintf("cipher: %s is %v: %s is %s", e.Path, ErrUntrustedTool, e.File, e.Reason)
}

func (e *UntrustedToolError) Unwrap() error { return ErrUntrustedTool }

// FindSfcipher returns the real path of the vendor's sfcipher: in
// /opt/SMAW/bin, else in /opt/SMAW/SMAWsf/bin, else the first on PATH,
// checked with [CheckTool]. The error wraps ErrSfcipherNotFound and names
// every place it looked, or is the *UntrustedToolError of the sfcipher
// that it found.
func FindSfcipher() (string, error) {
	var looked []string
	for _, dir := range vendorDirs {
		p := filepath.Join(dir, "sfcipher")
		_, err := os.Lstat(p)
		if err == nil {
			return CheckTool(p)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			// Not "absent": refuse rather than fall through to PATH.
			return "", fmt.Errorf("cipher: %w", err)
		}
		looked = append(looked, dir)
	}
	// exec.LookPath refuses a match relative to the current folder
	// (exec.ErrDot); so does this.
	if p, err := exec.LookPath("sfcipher"); err == nil {
		return CheckTool(p)
	}
	looked = append(looked, "PATH")
	return "", fmt.Errorf("cipher: %w (looked in %s); it is part of PRIMECLUSTER", ErrSfcipherNotFound, strings.Join(looked, ", "))
}

// CheckTool checks that the program at path may be given a password, and
// returns its real path (symlinks resolved), which is the one to run: a
// regular, executable file, and it and every folder of its real path, from
// / down, owned by root and not writable by group or others. A failure is
// an *UntrustedToolError (errors.Is ErrUntrustedTool), or the error of the
// file system (a missing file: fs.ErrNotExist).
func CheckTool(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("cipher: %w", err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("cipher: %w", err)
	}
	untrusted := func(file, reason string) error {
		return &UntrustedToolError{Path: path, File: file, Reason: reason}
	}
	start := "/"
	if root := filepath.Clean(trustRoot); root != "/" && strings.HasPrefix(real, root+"/") {
		start = root
	}
	// Each folder from start down to the tool's own, then the tool.
	components := []string{start}
	for rest := strings.TrimPrefix(real, start); rest != "" && rest != "/"; {
		rest = strings.TrimPrefix(rest, "/")
		name, after, _ := strings.Cut(rest, "/")
		components = append(components, filepath.Join(components[len(components)-1], name))
		rest = after
	}
	for i, c := range components {
		fi, err := os.Lstat(c)
		if err != nil {
			return "", fmt.Errorf("cipher: %w", err)
		}
		isTool := i == len(components)-1
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			// EvalSymlinks resolved them all: one appeared since.
			return "", untrusted(c, "a symlink (it changed while being checked)")
		case !isTool && !fi.IsDir():
			return "", untrusted(c, "not a folder")
		case isTool && !fi.Mode().IsRegular():
			return "", untrusted(c, "not a regular file ("+fi.Mode().Type().String()+")")
		case isTool && fi.Mode().Perm()&0o100 == 0:
			return "", untrusted(c, fmt.Sprintf("not executable by its owner (mode %v)", fi.Mode()))
		}
		uid, ok := safefile.OwnerUID(fi)
		if !ok {
			return "", untrusted(c, "of unknown owner")
		}
		if int(uid) != trustedUID {
			return "", untrusted(c, fmt.Sprintf("owned by uid %d, not %s", uid, uidName(trustedUID)))
		}
		if fi.Mode().Perm()&0o022 != 0 {
			return "", untrusted(c, fmt.Sprintf("writable by group or others (mode %v)", fi.Mode()))
		}
	}
	return real, nil
}

func uidName(uid int) string {
	if uid == 0 {
		return "root"
	}
	return fmt.Sprintf("uid %d", uid)
}
