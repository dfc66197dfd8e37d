package sshcheck

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

// hostKeys is the known_hosts database of one Prober: the user's files (the
// first one is where trusted keys are written) and the global files, which
// are only read.
type hostKeys struct {
	files []string // user files; files[0] receives trusted keys
	all   []string // files then global files

	mu sync.RWMutex
	db *knownDB

	trustMu sync.Mutex // serialises trust in this process; flock does it across processes
}

func newHostKeys(user, global []string) (*hostKeys, error) {
	h := &hostKeys{files: user, all: append(append([]string(nil), user...), global...)}
	db, err := loadKnownHosts(h.all)
	if err != nil {
		return nil, err
	}
	h.db = db
	return h, nil
}

func (h *hostKeys) current() *knownDB {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.db
}

// algorithms returns the host key algorithms that known_hosts holds for
// hostport, so that the server is asked for a key we can actually compare
// (x/crypto would otherwise prefer ECDSA and call an Ed25519-only entry
// "changed"). Nil when the host is unknown: any algorithm will do then.
func (h *hostKeys) algorithms(hostport string) []string {
	k := h.current()
	if k.index != nil {
		if algos, ok := k.index.algorithms(hostport); ok {
			return algos
		}
	}
	return k.db.HostKeyAlgorithms(hostport)
}

// knownHostsName is the name OpenSSH writes for hostport: the bare host for
// port 22, "[host]:port" otherwise.
func knownHostsName(hostport string) string { return knownhosts.Normalize(hostport) }

// fakeRemote gives x/crypto's knownhosts the TCP address it insists on even
// when the dial hook returns some other kind of connection; the hostname we
// pass always takes precedence over it.
func fakeRemote(hostport string) net.Addr {
	host, port, _ := net.SplitHostPort(hostport)
	p, _ := strconv.Atoi(port)
	return &net.TCPAddr{IP: net.ParseIP(host), Port: p}
}

// check compares key with the database. It returns nil, or an *Error of
// kind unknown, changed or revoked.
func check(k *knownDB, hostport string, key ssh.PublicKey) error {
	if k.index != nil && k.index.accepts(hostport, key) {
		return nil
	}
	err := k.db.HostKeyCallback()(hostport, fakeRemote(hostport), key)
	if err == nil {
		return nil
	}
	fp := ssh.FingerprintSHA256(key)
	var revoked *xknownhosts.RevokedError
	if errors.As(err, &revoked) {
		return &Error{Kind: ErrHostKeyRevoked, Fingerprint: fp, KnownFingerprint: fp,
			KnownAt: fmt.Sprintf("%s:%d", k.name(revoked.Revoked.Filename), revoked.Revoked.Line),
			Hint:    "the server presents a key that known_hosts marks @revoked: do not connect until the guest's key is replaced",
			Err:     err}
	}
	var keyErr *xknownhosts.KeyError
	if !errors.As(err, &keyErr) {
		return &Error{Kind: ErrConnection, Err: err}
	}
	if len(keyErr.Want) == 0 {
		return &Error{Kind: ErrHostKeyUnknown, Fingerprint: fp, Err: err,
			Hint: "log in once and accept the key (sfkvm probe --trust), after checking the fingerprint on the guest's console"}
	}
	// Prefer the entry of the same key type: that is the one that changed.
	want := keyErr.Want[0]
	for _, w := range keyErr.Want {
		if w.Key.Type() == key.Type() {
			want = w
			break
		}
	}
	name := knownHostsName(hostport)
	return &Error{Kind: ErrHostKeyChanged, Fingerprint: fp,
		KnownFingerprint: ssh.FingerprintSHA256(want.Key),
		KnownAt:          fmt.Sprintf("%s:%d", k.name(want.Filename), want.Line),
		RemoveCommand:    "ssh-keygen -R " + singleQuote(name) + " -f " + singleQuote(k.name(want.Filename)),
		Hint: "the guest's host key differs from the recorded one: if the guest was reinstalled, check the new fingerprint on its console, " +
			"remove the old entry and probe again with --trust; otherwise suspect a man in the middle",
		Err: err}
}

// trust records key for hostport in the first user file, unless a
// concurrent contact (another goroutine or process) recorded it first. It
// returns whether it wrote a line, or the *Error that the re-check found.
func (h *hostKeys) trust(hostport string, key ssh.PublicKey) (wrote bool, err error) {
	if len(h.files) == 0 {
		return false, errors.New("known_hosts: no file to record trusted keys in")
	}
	h.trustMu.Lock()
	defer h.trustMu.Unlock()

	// The folder and the file by the rules of openKnownHostsDir: no
	// symbolic link, the caller's or root's, not writable by others.
	file := h.files[0]
	dir, err := openKnownHostsDir(filepath.Dir(file), true)
	if err != nil {
		return false, err
	}
	f, err := openKnownHostsFile(dir, file, true)
	dir.Close()
	if err != nil {
		return false, err
	}
	defer f.Close()
	unlock, err := lockFile(f)
	if err != nil {
		return false, fmt.Errorf("known_hosts: lock %s: %w", file, err)
	}
	defer unlock()

	// Re-check under the lock: someone may have recorded it meanwhile.
	db, err := loadKnownHosts(h.all)
	if err != nil {
		return false, err
	}
	err = check(db, hostport, key)
	if err == nil {
		h.replace(db)
		return false, nil
	}
	if !errors.Is(err, ErrHostKeyUnknown) {
		h.replace(db)
		return false, err
	}
	line := xknownhosts.HashHostname(knownHostsName(hostport)) + " " + key.Type() + " " +
		base64.StdEncoding.EncodeToString(key.Marshal()) + "\n"
	if err := ensureNewline(f); err != nil {
		return false, err
	}
	if _, err := f.WriteString(line); err != nil {
		return false, fmt.Errorf("known_hosts: %w", err)
	}
	if err := f.Sync(); err != nil {
		return false, fmt.Errorf("known_hosts: %w", err)
	}
	db, err = loadKnownHosts(h.all)
	if err != nil {
		return true, err
	}
	h.replace(db)
	return true, nil
}

// ensureNewline adds a newline when the file ends without one, so that our
// line never joins the last one.
func ensureNewline(f *os.File) error {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return err
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, st.Size()-1); err != nil {
		return fmt.Errorf("known_hosts: %w", err)
	}
	if last[0] != '\n' {
		_, err = f.WriteString("\n")
	}
	return err
}

func (h *hostKeys) replace(db *knownDB) {
	h.mu.Lock()
	h.db = db
	h.mu.Unlock()
}

// singleQuote quotes w for a POSIX shell, so that a command shown to the
// user can be pasted as it is, whatever the path holds.
func singleQuote(w string) string { return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'" }
