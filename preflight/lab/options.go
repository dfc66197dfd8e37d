package lab

import "github.com/sfkvm/sfkvm/migratesetup"

// Option sets up the lab: a fault, or where its libvirt comes from.
type Option func(*settings)

type settings struct {
	sudoPassword   string
	changedKey     string
	cftoolDisagree string
	copyDiffers    bool
	testFailed     bool
	notSetUp       string
	down           string
	vendorToken    string
	slowAuth       string
	hostFloods     bool
	hostCatFails   bool
	hostinfoFloods bool
	movedToken     string
	openStore      StoreOpener
	liveLacksDisk  string
	unlisted       string
	renamedNode    bool
	confChanged    bool
	preflight      PreflightFunc

	readsOther  string // this guest's disk is backed by the other host's file
	readsWeight string // this guest's disk reads this host with the other weight link

	ageGuest string // passwordAge applies to this guest
	ageDays  int    // its password expires in so many days (negative: expired)
	ageMust  bool   // its password must be changed at the next login
}

// StoreOpener opens a libvirt store at a URI, such as
// libvirtstore.Open; close releases it.
type StoreOpener func(uri string) (s migratesetup.Store, close func(), err error)

// WithLibvirt makes the lab's store libvirt's test driver, opened with
// open on a fixture of the lab's own (test:///DIR/libvirt-test.xml), so
// that nothing is shared with another test:/// connection. Without it, or
// when open fails, the lab uses migratesetuptest's in-memory store (the
// lab then builds without cgo). StoreName says which one it got.
func WithLibvirt(open StoreOpener) Option { return func(s *settings) { s.openStore = open } }

// SudoNeedsPassword: guest's user may use sudo only with a password (no
// NOPASSWD); guest.sudo FAILs.
func SudoNeedsPassword(guest string) Option { return func(s *settings) { s.sudoPassword = guest } }

// ChangedHostKey: after Prepare has recorded the host keys, guest comes
// back with a new one, as a reinstalled guest would; guest.hostkey FAILs.
func ChangedHostKey(guest string) Option { return func(s *settings) { s.changedKey = guest } }

// CFToolDisagrees: guest's cftool -c names another cluster (cluster9);
// guest.names FAILs.
func CFToolDisagrees(guest string) Option { return func(s *settings) { s.cftoolDisagree = guest } }

// CopyDiffers: the other host's kvmguests.conf differs; conf.copies FAILs.
func CopyDiffers() Option { return func(s *settings) { s.copyDiffers = true } }

// AgentTestFails: an agent of the shutdown facility ends TestFailed;
// facility.ready FAILs.
func AgentTestFails() Option { return func(s *settings) { s.testFailed = true } }

// NotSetUp: guest runs here but Prepare does not set it up; guest.setup
// FAILs.
func NotSetUp(guest string) Option { return func(s *settings) { s.notSetUp = guest } }

// Down: after Prepare, guest does not answer (its port is closed);
// guest.hostkey FAILs.
func Down(guest string) Option { return func(s *settings) { s.down = guest } }

// VendorToken: guest's guest_passwd is an sfcipher token, which the lab's
// key cannot open; guest.login FAILs.
func VendorToken(guest string) Option { return func(s *settings) { s.vendorToken = guest } }

// MovedToken: guest's guest_passwd is the sealed token of the guest before
// it in the file; guest.login FAILs.
func MovedToken(guest string) Option { return func(s *settings) { s.movedToken = guest } }

// SlowAuth: guest's password check outlasts the handshake timeout;
// guest.login FAILs.
func SlowAuth(guest string) Option { return func(s *settings) { s.slowAuth = guest } }

// HostFloods: the other host answers cat of kvmguests.conf with endless
// output; conf.copies FAILs at the size cap (Config.MaxCopy: FloodCap).
func HostFloods() Option { return func(s *settings) { s.hostFloods = true } }

// HostCatFails: the other host's cat fails with terminal escapes on
// stderr; conf.copies FAILs, the escapes quoted.
func HostCatFails() Option { return func(s *settings) { s.hostCatFails = true } }

// HostInfoFloods: the other host answers cat of its host information with
// endless output; host.weightlink FAILs at the size cap.
func HostInfoFloods() Option { return func(s *settings) { s.hostinfoFloods = true } }

// PasswordExpiresIn: the password of guest's user expires in days days
// (negative: it has expired) as chage -l reports it; guest.passwordage
// WARNs within the warning window and FAILs once it has expired.
func PasswordExpiresIn(guest string, days int) Option {
	return func(s *settings) { s.ageGuest, s.ageDays, s.ageMust = guest, days, false }
}

// PasswordMustChange: guest's user must change the password at the next
// login (chage -d 0); guest.passwordage FAILs.
func PasswordMustChange(guest string) Option {
	return func(s *settings) { s.ageGuest, s.ageMust = guest, true }
}

// LiveLacksDisk: after Prepare, guest (one that runs here) runs without
// the host information disk while its persistent definition keeps it, as
// after a detach with --live or a redefinition while it ran; guest.setup
// FAILs. It needs the in-memory store (libvirt's test driver detaches
// nothing live): with WithLibvirt, Prepare fails.
func LiveLacksDisk(guest string) Option { return func(s *settings) { s.liveLacksDisk = guest } }

// UnlistedDomain: a domain of that name runs on this host but is no guest
// of the file; host.unlisted WARNs.
func UnlistedDomain(name string) Option { return func(s *settings) { s.unlisted = name } }

// RenamedNode: this host was registered under its old CF node name
// (cfhost0) and then renamed to cfhost1, which cftool -l says;
// host.registered FAILs.
func RenamedNode() Option { return func(s *settings) { s.renamedNode = true } }

// ConfChangedSinceLastRun: the last run saw another kvmguests.conf (Config
// gives an earlier checksum); conf.changed WARNs. Without it, Config gives
// the checksum of the file as Prepare left it, as an earlier run of the
// prepared lab would have kept it.
func ConfChangedSinceLastRun() Option { return func(s *settings) { s.confChanged = true } }

// ReadsOtherHost: guest's host information disk is backed by the other
// host's file (a wrong source path in its definition, say);
// guest.readshost FAILs.
func ReadsOtherHost(guest string) Option { return func(s *settings) { s.readsOther = guest } }

// ReadsOtherWeightLink: guest's host information disk names this host (CF
// name and IP) but with the other weight link, as it would if the host was
// registered again with another -w after the guest started;
// guest.readshost FAILs.
func ReadsOtherWeightLink(guest string) Option { return func(s *settings) { s.readsWeight = guest } }
