package preflight

import (
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/sdfacility"
	"github.com/sfkvm/sfkvm/sshcheck"
	"time"
)

// DefaultVendorChecker is where the vendor's checker of kvmguests.conf
// lives (manual step 1.6).
const DefaultVendorChecker = "/opt/SMAW/SMAWsf/bin/sfkvmtool"

// DefaultParallel is how many targets Run works on at once.
const DefaultParallel = 16

// Config says what Run checks, and with what. The zero value checks this
// machine's kvmguests.conf with the default paths, without passwords,
// without libvirt and without other hosts: every check that lacks what it
// needs is a SKIP that says so.
type Config struct {
	// File is the kvmguests.conf to check (kvmguests.DefaultPath when
	// empty), read with FileOptions (AllowSealed for sfkvm's sealed
	// tokens, SkipFileChecks for a copy).
	File        string
	FileOptions kvmguests.Options
	// Guests, when not nil, are the guests to check instead of File's;
	// the checks of the file (conf.*) are then SKIP.
	Guests []kvmguests.Guest
	// Guest, when not empty, is the one guest (its guest-name) whose
	// checks run: the file's other guests are not logged in to and have
	// no rows (sfkvm enroll checks the guest it enrolled on every host
	// with it, its password on stdin). The file's and this host's checks
	// run as ever. A name that no line holds is a FAIL of guest.hostkey.
	Guest string

	// Password returns the login password of a guest (SealedPassword for
	// sfkvm's sealed tokens, sshcheck.Password for one typed in); nil
	// when there is none: then only host keys are checked.
	Password func(kvmguests.Guest) sshcheck.PasswordSource
	// Prober logs in to guests and other hosts; nil means one made from
	// ProberOptions. Host keys are checked as its options say: give a
	// strict one, preflight is a check and should record nothing.
	Prober        *sshcheck.Prober
	ProberOptions sshcheck.Options
	// HostProber logs in to Hosts when the hosts' keys are kept in files
	// of their own (sfkvm's --host-known-hosts); nil means Prober.
	HostProber *sshcheck.Prober
	// GuestPort is the guests' SSH port; 0 means 22.
	GuestPort int

	// Local runs commands on this host (sdtool, cftool, the vendor's
	// checker); nil means sdfacility.LocalRunner{}.
	Local sdfacility.Runner
	// Hosts are the other hosts, each as this host logs in to it over
	// SSH (address, user, password): their copies of the file and their
	// registrations are read there. None: those comparisons are SKIP.
	Hosts []sshcheck.Target

	// Store is this host's libvirt; nil when it cannot be reached, and
	// then StoreErr says why (shown in the SKIP).
	Store    migratesetup.Store
	StoreErr error

	// SDTool and CFTool are the shutdown facility's tools on this host,
	// GuestCFTool cftool on the guests (the sdfacility defaults when
	// empty).
	SDTool, CFTool, GuestCFTool string
	// VendorChecker is the vendor's sfkvmtool, run beside sfkvm's check
	// when it exists; "" does not run it.
	VendorChecker string
	// HostInfo is this host's information file (migratesetup.DefaultPath
	// when empty).
	HostInfo string

	// PreviousConfSHA256 is the file's SHA-256 (hex) at the last run, as
	// that run's Report.ConfSHA256 gave it; "" when no earlier run is
	// known, and then conf.changed is SKIP. preflight/metrics.ReadPrevious
	// reads it back from the last textfile.
	PreviousConfSHA256 string

	// PasswordWarnDays is how many days before a guest password expires
	// guest.passwordage WARNs (sshcheck.DefaultWarnDays when 0); Now is
	// the clock it counts from (time.Now when nil).
	PasswordWarnDays int
	Now              func() time.Time

	// MaxCopy caps what is read of another host's copy of the file (a
	// host that answers without end is cut off there and named); 0 means
	// kvmguests.MaxSize, the largest file the parser takes.
	MaxCopy int64
	// Parallel bounds the guests and hosts worked on at once
	// (DefaultParallel when 0).
	Parallel int
}

func (c Config) withDefaults() Config {
	if c.File == "" {
		c.File = kvmguests.DefaultPath
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.GuestPort == 0 {
		c.GuestPort = 22
	}
	if c.Local == nil {
		c.Local = sdfacility.LocalRunner{}
	}
	if c.SDTool == "" {
		c.SDTool = sdfacility.DefaultSDTool
	}
	if c.CFTool == "" {
		c.CFTool = sdfacility.DefaultCFTool
	}
	if c.GuestCFTool == "" {
		c.GuestCFTool = sdfacility.DefaultCFTool
	}
	if c.HostInfo == "" {
		c.HostInfo = migratesetup.DefaultPath
	}
	if c.Parallel < 1 {
		c.Parallel = DefaultParallel
	}
	return c
}

// maxCopy is MaxCopy or its default.
func (c Config) maxCopy() int64 {
	if c.MaxCopy > 0 {
		return c.MaxCopy
	}
	return kvmguests.MaxSize
}
