package rotate

import (
	"context"
	"path/filepath"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// HostRunner runs a command on another host, as root, with stdin as its
// input. err is non-nil only when the command could not be run or did not
// finish; a non-zero exit is status with err == nil. *sshcheck.Client
// implements it (a key or a password login); OpenSSH implements it through
// the system's ssh client (root's ssh_config, keys and agent); any other
// transport plugs in the same way.
type HostRunner interface {
	RunInput(ctx context.Context, stdin []byte, name string, args ...string) (stdout, stderr []byte, status int, err error)
	Close() error
}

// Connector opens a HostRunner to the host called name (Host.Name).
type Connector func(ctx context.Context, name string) (HostRunner, error)

// Host is another host OS of the cluster, whose copy of kvmguests.conf
// must stay byte-identical to this host's.
type Host struct {
	Name string // shown in the report and given to Plan.Connect
	File string // its kvmguests.conf, an absolute path; "" means Plan.File
}

// Plan is one rotation: which guests get which new password, how their
// tokens are made, how the guests and the other hosts are reached.
type Plan struct {
	// File is this host's kvmguests.conf; "" means kvmguests.DefaultPath.
	File        string
	FileOptions kvmguests.Options
	// Guests are the guest-names to rotate; nil means every guest of
	// the file. A name that the file does not hold fails the run before
	// anything changes.
	Guests []string
	// NewPassword is the new password of every chosen guest's
	// guest_user. It must pass cipher.CheckPassword.
	NewPassword cipher.Secret
	// OldPassword gives a guest's current password: it proves the login
	// before the change and is put back on any failure before the files
	// are written. preflight.SealedPassword opens it from a sealed token.
	OldPassword func(kvmguests.Guest) sshcheck.PasswordSource
	// Encrypter makes a guest's new token: the same *cipher.Sfcipher for
	// every guest (the vendor's tool), or key.ForGuest(preflight.GuestContext(g))
	// for sfkvm's sealed format.
	Encrypter func(kvmguests.Guest) cipher.Encrypter
	// Prober logs in to the guests (strict host keys, as preflight).
	Prober    *sshcheck.Prober
	GuestPort int // 0 means 22

	// Hosts are the other hosts; Connect reaches them.
	Hosts   []Host
	Connect Connector

	Parallel int  // guests (and hosts) at once; 0 means DefaultParallel
	DryRun   bool // prove the logins and the copies, make the tokens, change nothing

	// CleanupTimeout bounds the rollback and the final read-back once
	// the run's context has ended (an interrupt); 0 means
	// DefaultCleanupTimeout. They run on a context of their own so that
	// an interrupt never leaves a guest half-rotated unreported.
	CleanupTimeout time.Duration
	// HostTimeout bounds each command on another host (a lock, a read,
	// a write, a read-back): 0 means DefaultHostTimeout. The run's context
	// bounds them too, and from this host's write on the clean-up's
	// (CleanupTimeout). No other bound applies: SSHConnector lifts the
	// Prober's CommandTimeout for hosts.
	HostTimeout time.Duration
	// LockLease is how long the locks this run takes on every host's
	// kvmguests.conf stay valid should the run crash without releasing
	// them; 0 means until the run's context deadline plus CleanupTimeout
	// plus a minute, or DefaultLockLease without a deadline. See
	// internal/conflock: on this host a crashed run's lock goes at once.
	LockLease time.Duration
	// Previous (Retry only) is the SHA-256 of this host's file before the
	// rotation that Retry finishes, as the report's Resume gives it: a
	// copy is replaced only when it is that file or already the new one.
	// "" accepts a copy that differs from this host's file in
	// guest_passwd fields only (what a rotation changes).
	Previous string
	// ResumeCommand is the command the report shows to finish a run
	// that wrote some hosts and not others, with every flag that chose
	// the file, the keys and the login (Run adds --hosts and
	// --previous-sha256); "" means "sfkvm rotate --resume". It is shown
	// as given: quote it for a shell (sshcheck.QuoteCommand).
	ResumeCommand string
}

// Defaults of the zero Plan.
const (
	DefaultParallel       = 8
	DefaultCleanupTimeout = 2 * time.Minute
	DefaultResumeCommand  = "sfkvm rotate --resume"
	DefaultHostTimeout    = 2 * time.Minute
	DefaultLockLease      = 30 * time.Minute
)

func (p Plan) withDefaults() Plan {
	if p.File == "" {
		p.File = kvmguests.DefaultPath
	}
	if abs, err := filepath.Abs(p.File); err == nil {
		p.File = abs // safefile replaces by absolute path only
	}
	if p.Parallel <= 0 {
		p.Parallel = DefaultParallel
	}
	if p.CleanupTimeout <= 0 {
		p.CleanupTimeout = DefaultCleanupTimeout
	}
	if p.HostTimeout <= 0 {
		p.HostTimeout = DefaultHostTimeout
	}
	if p.ResumeCommand == "" {
		p.ResumeCommand = DefaultResumeCommand
	}
	hs := make([]Host, len(p.Hosts))
	for i, h := range p.Hosts {
		if h.File == "" {
			h.File = p.File
		}
		hs[i] = h
	}
	p.Hosts = hs
	return p
}
