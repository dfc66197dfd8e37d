package conflock

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Suffix ends the name of a lock file: ".kvmguests.conf" + Suffix.
const Suffix = ".sfkvm-lock"

// Path returns the lock file of file: ".NAME.sfkvm-lock" in its folder.
func Path(file string) string {
	return filepath.Join(filepath.Dir(file), "."+filepath.Base(file)+Suffix)
}

// Owner is the run that holds (or wants) a lock.
type Owner struct {
	Run     string // random, 32 hex digits: the lock's identity
	Command string // "rotate", "resume", ...
	Host    string // host name of the machine the run is on
	Boot    string // its boot ID (/proc/sys/kernel/random/boot_id)
	PID     int
	Started time.Time
	Expires time.Time // the end of the lease (whole seconds)
}

// NewOwner returns the owner of a lock for this process: a fresh run ID
// and a lease of lease from now.
func NewOwner(command string, lease time.Duration) (Owner, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Owner{}, err
	}
	host, _ := os.Hostname()
	now := time.Now().Truncate(time.Second)
	o := Owner{Run: hex.EncodeToString(b[:]), Command: safeWord(command), Host: safeWord(host),
		Boot: BootID(), PID: os.Getpid(), Started: now, Expires: now.Add(lease)}
	active.Store(o.Run, true)
	return o, nil
}

// active holds the runs of this process that have not ended: a lock of
// this process whose run ended is stale although the process lives on
// (a library caller that runs Retry after Run).
var active sync.Map

// End says that o's run is over: its locks, wherever one was left (a host
// that went away before the release), are stale for this process and for
// every later run on this boot of this host.
func (o Owner) End() { active.Delete(o.Run) }

// Abandoned reports whether the lock o, found on any host, was taken from
// this boot of this host by a run that is over: its process is gone, or
// it is this process and the run ended. Such a lock is taken over (the
// scripts' TAKEOVER argument): a crashed or finished run's lock never
// stays on another host until its lease ends for the host that took it.
func (o Owner) Abandoned() bool {
	boot := BootID()
	if boot == "" || o.Boot != boot || o.PID <= 0 {
		return false
	}
	if o.PID == os.Getpid() {
		_, running := active.Load(o.Run)
		return !running
	}
	return !alive(o.PID)
}

// BootID is this boot's ID, "" where the system has none.
func BootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return safeWord(strings.TrimSpace(string(b)))
}

// Marshal gives the lock file's contents, one key=value a line; the
// scripts write the same lines.
func (o Owner) Marshal() []byte {
	return fmt.Appendf(nil, "sfkvm-lock=1\nrun=%s\ncommand=%s\nhost=%s\nboot=%s\npid=%d\nstarted=%d\nexpires=%d\n",
		o.Run, o.Command, o.Host, o.Boot, o.PID, o.Started.Unix(), o.Expires.Unix())
}

var errGarbled = errors.New("not a lock file of sfkvm")

// ParseOwner reads a lock file's contents.
func ParseOwner(b []byte) (Owner, error) {
	var o Owner
	kv := map[string]string{}
	for _, l := range bytes.Split(b, []byte("\n")) {
		k, v, ok := strings.Cut(string(l), "=")
		if ok {
			kv[k] = v
		}
	}
	pid, perr := strconv.Atoi(kv["pid"])
	started, serr := strconv.ParseInt(kv["started"], 10, 64)
	expires, eerr := strconv.ParseInt(kv["expires"], 10, 64)
	if kv["sfkvm-lock"] != "1" || kv["run"] == "" || perr != nil || serr != nil || eerr != nil {
		return o, errGarbled
	}
	o = Owner{Run: kv["run"], Command: kv["command"], Host: kv["host"], Boot: kv["boot"], PID: pid,
		Started: time.Unix(started, 0), Expires: time.Unix(expires, 0)}
	return o, nil
}

// String names the holder for a message.
func (o Owner) String() string {
	return fmt.Sprintf("sfkvm %s (pid %d on %s, since %s, lease until %s)", o.Command, o.PID, o.Host,
		o.Started.UTC().Format(time.RFC3339), o.Expires.UTC().Format(time.RFC3339))
}

// stale reports whether the lock o may be taken over at now: its lease
// ended, or it is Abandoned.
func (o Owner) stale(now time.Time) bool {
	return !now.Before(o.Expires) || o.Abandoned()
}

// safeWord keeps a value on one line of the lock file and one word of sh.
func safeWord(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || strings.ContainsRune("-._", r) {
			return r
		}
		return '_'
	}, s)
}
