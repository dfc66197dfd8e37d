package enroll

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/rotate"
	"github.com/sfkvm/sfkvm/sdfacility"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// Admin is how the guest is reached as an administrator the first time:
// root by key or password, or a user with sudo -n (every command then
// goes through sudo -n).
type Admin struct {
	User     string                  // "" means root
	Keys     sshcheck.KeySource      // by key (sshcheck.DefaultKeys, IdentityFile)
	Password sshcheck.PasswordSource // or by password
}

// Facts are the guest's values in its kvmguests.conf line, each read
// from where it lives unless the Plan gives it.
type Facts struct {
	Domain      string // libvirt domain name (guest-name): found by the guest's SMBIOS UUID
	HostCFName  string // CF node name of the host that runs it: that host's registration
	ClusterName string // cftool -c in the guest
	CFName      string // cftool -l in the guest
}

// Placement is where a guest's domain is: the host that runs it (a name
// of Plan.Files.Hosts, or LocalHost) and, when known, that host's CF
// node name and a libvirt store to set up the domain's disk with.
type Placement struct {
	Host       string
	Domain     string
	HostCFName string             // "" when unknown
	Store      migratesetup.Store // nil when the disk cannot be set up from here
}

// Locator finds the domain whose UUID is uuid (lowercase, with dashes)
// among the hosts' libvirt domains. An error wrapping ErrNoDomain says
// that none has it.
type Locator interface {
	Locate(ctx context.Context, uuid string) (Placement, error)
}

// HostStore is one host's libvirt, for Stores.
type HostStore struct {
	Host   string // LocalHost or a name of Plan.Files.Hosts
	CFName string // that host's CF node name ("" when not registered)
	Store  migratesetup.Store
}

// LocalHost names this host, as in rotate's reports.
const LocalHost = rotate.LocalHost

// Plan is one enrollment.
type Plan struct {
	// Address is guest_IP: where PRIMECLUSTER (and this run) reaches
	// the guest; Port its SSH port (0: 22).
	Address netip.Addr
	Port    int
	Admin   Admin
	// User is guest_user: root, or the login user of step 1.2 that is
	// made when missing. Password is its new password (it must pass
	// cipher.CheckPassword); it is set on the guest and sealed into the
	// token.
	User     string
	Password cipher.Secret
	// Encrypter makes the token of the guest's line: &cipher.Sfcipher{}
	// (the vendor's tool) or key.ForGuest(preflight.GuestContext(g)).
	Encrypter func(kvmguests.Guest) cipher.Encrypter
	// OpenToken, when set, opens an existing line's token (sealed
	// tokens): a second run keeps a token that opens to Password. Without
	// it a token is kept only when Encrypter makes the same one again.
	OpenToken func(kvmguests.Guest) (cipher.Secret, error)
	// SudoCommands narrows the rule to these commands (absolute paths
	// with arguments, as sudoers writes them); nil means ALL, the rule of
	// step 1.2.
	SudoCommands []string
	// Given overrides the facts that would be read; an empty field is
	// read.
	Given Facts
	// Locator finds the domain by the guest's UUID (Stores over every
	// host's libvirt). Nil: Given.Domain and Given.HostCFName are needed.
	Locator Locator
	// CFTool is cftool's path in the guest; "" means sdfacility.DefaultCFTool.
	CFTool string
	// UUIDFile is the guest's SMBIOS UUID; "" means DefaultUUIDFile.
	UUIDFile string

	// GuestKeyFingerprint ("SHA256:...") confirms the guest's host key
	// when this host's known_hosts does not hold it yet. ConfirmKey asks
	// instead (a terminal). Without either an unknown key stops the run:
	// never trust on first use silently.
	GuestKeyFingerprint string
	ConfirmKey          func(ctx context.Context, address, fingerprint string) bool
	// SSH is how this host logs in to the guest: its KnownHostsFiles
	// (the first receives the guest's key) and dial hooks.
	SSH sshcheck.Options
	// HostKnownHosts is root's known_hosts on the other hosts; ""
	// means /root/.ssh/known_hosts.
	HostKnownHosts string
	// HostKeysFiles are this host's known_hosts files that hold the other
	// hosts' keys, against which step 5 checks each key before it goes
	// into the guest; nil means the files of SSH (the guests').
	HostKeysFiles []string
	// GuestKnows are the hosts as the guest reaches them (step 5):
	// each one's key, checked against this host's known_hosts, is put in
	// the guest's root known_hosts. Empty: every host's registered
	// address (its host information file, Setup.HostInfoPath: this
	// host's read here, the others' over Files.Connect), port 22; a host
	// whose registration cannot be read is named in the report
	// (guest-knows: left). Report.HostAddresses shows each address and
	// where it came from.
	GuestKnows []sshcheck.Target
	// GuestKnownHosts is root's known_hosts in the guest; "" means
	// sshcheck.GuestRootKnownHosts.
	GuestKnownHosts string

	// Files is kvmguests.conf on this host and every other host: File,
	// FileOptions, Hosts, Connect, HostTimeout, CleanupTimeout,
	// ResumeCommand (rotate.LockFiles).
	Files rotate.Plan
	// Restart stops and starts a running domain to set up its disk
	// (migratesetup.Options.Restart).
	Restart bool
	// Setup tunes the disk's set-up (HostInfoPath, timeouts).
	Setup migratesetup.Options
	// Preflight, when set, is run on this host at the end for the
	// guest's new line (Guest and Password are set by Run; File from
	// Files when empty): its FAIL and WARN rows are named in the report
	// (Report.Preflight) as what is left. Nil: the report says to run it.
	Preflight *preflight.Config
	// HostPreflight, when set with Preflight, runs preflight for the
	// guest on every other host too, at the same time, over the run's
	// connection to it; each host is a row of Report.Preflight. Nil: the
	// report says to run it there.
	HostPreflight *HostPreflight
	// DryRun reads everything and changes nothing; the report shows
	// every change it would make.
	DryRun bool
	// CleanupTimeout bounds the undo after an interrupt; 0 means 2 minutes.
	CleanupTimeout time.Duration
}

// DefaultUUIDFile is the guest's SMBIOS UUID, libvirt's domain UUID
// unless the definition sets <sysinfo> otherwise.
const DefaultUUIDFile = "/sys/class/dmi/id/product_uuid"

// userName is a portable user name that sudoers and useradd take.
var userName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`) })

func (p Plan) withDefaults() Plan {
	if p.Admin.User == "" {
		p.Admin.User = "root"
	}
	if p.CFTool == "" {
		p.CFTool = sdfacility.DefaultCFTool
	}
	if p.UUIDFile == "" {
		p.UUIDFile = DefaultUUIDFile
	}
	if p.HostKnownHosts == "" {
		p.HostKnownHosts = "/root/.ssh/known_hosts"
	}
	if p.GuestKnownHosts == "" {
		p.GuestKnownHosts = sshcheck.GuestRootKnownHosts
	}
	if p.CleanupTimeout <= 0 {
		p.CleanupTimeout = 2 * time.Minute
	}
	p.Files.DryRun = p.DryRun
	return p
}

func (p Plan) check() error {
	switch {
	case !p.Address.IsValid():
		return fmt.Errorf("%w: no guest address", ErrPlan)
	case !userName().MatchString(p.User):
		return fmt.Errorf("%w: user %q is not a portable user name ([a-z_][a-z0-9_-]*, at most 32)", ErrPlan, p.User)
	case p.Encrypter == nil:
		return fmt.Errorf("%w: no Encrypter", ErrPlan)
	case p.Admin.Keys == nil && p.Admin.Password == nil:
		return fmt.Errorf("%w: no way to log in to the guest as an administrator (Admin.Keys or Admin.Password)", ErrPlan)
	case p.Locator == nil && (p.Given.Domain == "" || p.Given.HostCFName == ""):
		return fmt.Errorf("%w: without a Locator the domain and the host CF name must be given", ErrPlan)
	}
	for _, c := range p.SudoCommands {
		if !strings.HasPrefix(c, "/") || strings.ContainsAny(c, ",:\\\n=") {
			return fmt.Errorf("%w: sudo command %q: an absolute path with arguments, without , : \\ = or a newline", ErrPlan, c)
		}
	}
	return nil
}

// hostport is the guest's address as dialled.
func (p Plan) hostport() string {
	port := p.Port
	if port == 0 {
		port = 22
	}
	return net.JoinHostPort(p.Address.String(), fmt.Sprint(port))
}

// sudoersFile is the drop-in of user: sudo's #includedir skips names
// with a dot, and there is none in a portable user name.
func sudoersFile(user string) string { return "/etc/sudoers.d/sfkvm-" + user }

// SudoersRule is the drop-in's content for user: the rule of step 1.2
// (ALL commands as root without a password) or the narrower list.
func SudoersRule(user string, commands []string) string {
	cmds := "ALL"
	if len(commands) > 0 {
		cmds = strings.Join(commands, ", ")
	}
	return "# sfkvm enroll: PRIMECLUSTER's login user (F.2.2 step 1.2); sfkvm unenroll removes it\n" +
		user + " ALL=(root) NOPASSWD: " + cmds + "\n"
}
