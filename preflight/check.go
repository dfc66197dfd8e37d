package preflight

import "context"

// ID is a check's stable identifier, such as "guest.sudo". IDs are part of
// the JSON contract: they are never renamed or reused.
type ID string

// Step is a step of the manual's section F.2.2, as its table numbers it:
// "1.1" to "1.7", "2", "3", "4", "5".
type Step string

// Check is one check of the procedure: its identifier, the manual's step
// it guards, a short title for tables, and what it checks. Checks lists
// them all; Run is the one driver.
type Check struct {
	ID    ID
	Step  Step
	Title string // a table's CHECK column, e.g. "sudo NOPASSWD"
	Doc   string // what must be true, and what the check needs to tell

	run func(ctx context.Context, p *pass) []Result
}

// The checks, in the order of the report: the order in which an
// administrator walks the procedure (the file first, since every other check
// reads it).
var (
	ConfSyntax = &Check{ID: "conf.syntax", Step: "1.4", Title: "kvmguests.conf",
		Doc: "the file passes sfkvm's check (every rule of kvmguests, as sfkvmtool -c would, and more strictly); WARN for warnings only"}
	ConfVendor = &Check{ID: "conf.vendor", Step: "1.6", Title: "sfkvmtool -c",
		Doc: "the vendor's own checker prints its success notice; SKIP where it is not installed, or for a file other than its one path"}
	ConfMode = &Check{ID: "conf.mode", Step: "1.4", Title: "owner and mode",
		Doc: "the file is owned by root with mode 0600, and not a symbolic link"}
	ConfCopies = &Check{ID: "conf.copies", Step: "1.4", Title: "same on every host",
		Doc: "each other host's copy is byte-identical to this host's (read over SSH); one result per other host"}
	ConfChanged = &Check{ID: "conf.changed", Step: "1.4", Title: "unchanged since last run",
		Doc: "the file's SHA-256 is the one the last run saw (Config.PreviousConfSHA256, which preflight/metrics keeps in the textfile); WARN when it changed, so that an edit on one host is noticed; SKIP when no earlier run is known"}
	GuestHostKey = &Check{ID: "guest.hostkey", Step: "1.5", Title: "host key known",
		Doc: "root on this host knows the guest's host key (the first SSH login was made), and the key has not changed"}
	GuestLogin = &Check{ID: "guest.login", Step: "1.5", Title: "login",
		Doc: "guest_user logs in with its password, the way PRIMECLUSTER will"}
	GuestSudo = &Check{ID: "guest.sudo", Step: "1.2", Title: "sudo NOPASSWD",
		Doc: "a non-root guest_user runs sudo without a password and without a terminal (USER ALL=(root) NOPASSWD: ALL)"}
	GuestPasswordAge = &Check{ID: "guest.passwordage", Step: "1.2", Title: "password ageing",
		Doc: "guest_user's password has not expired and need not be changed at the next login (FAIL), and does not expire within Config.PasswordWarnDays (WARN): read with chage -l, through sudo for a non-root user"}
	GuestNames = &Check{ID: "guest.names", Step: "1.1", Title: "cluster and node name",
		Doc: "the guest's own cftool -c and cftool -l agree with guest-clustername and guest-cfname"}
	HostCFName = &Check{ID: "host.cfname", Step: "1.1", Title: "host-cfname",
		Doc: "for each guest that runs on this host, host-cfname is this host's CF node name (cftool -l)"}
	HostUnlisted = &Check{ID: "host.unlisted", Step: "1.4", Title: "running guest listed",
		Doc: "every domain that runs on this host is a guest of the file; WARN for one that is not (a new cluster guest never added to kvmguests.conf cannot fail over, but a domain that is no cluster node needs no line)"}
	FacilityReady = &Check{ID: "facility.ready", Step: "1.7", Title: "shutdown facility",
		Doc: "sdtool -s shows every agent initialised and tested on this host"}
	HostRegistered = &Check{ID: "host.registered", Step: "2", Title: "host registered",
		Doc: "this host's information file is there, valid, and names the CF node name that cftool -l gives"}
	HostWeightLink = &Check{ID: "host.weightlink", Step: "2", Title: "weight link",
		Doc: "the weight-link setting (-w off or not) is the same on every host"}
	GuestSetUp = &Check{ID: "guest.setup", Step: "3", Title: "guest set up",
		Doc: "each guest that runs on this host has the host information disk in its persistent definition, and in the definition it runs with (its live one, where the store gives it: a guest redefined or a disk detached while it runs)"}
	GuestReadsHost = &Check{ID: "guest.readshost", Step: "3", Title: "guest reads host",
		Doc: "each guest that runs on this host reads this host's registration on its host information disk (read in the guest over SSH, with O_DIRECT, through sudo; nothing of sfkvm needed there)"}
	GuestKnowsHost = &Check{ID: "guest.knowshost", Step: "5", Title: "guest knows host",
		Doc: "root on each guest has the host key of every host (this host's registered address and the other hosts) in its own known_hosts"}
)

// Checks is every check, in report order. It is the one mapping between
// checks and the manual's steps: the table of checks in sfkvm's preflight page
// (examples/sfkvm/manual/preflight.md) is tested
// against it.
var Checks = []*Check{
	ConfSyntax, ConfVendor, ConfMode, ConfCopies, ConfChanged,
	GuestHostKey, GuestLogin, GuestSudo, GuestPasswordAge, GuestNames,
	HostCFName, HostUnlisted, FacilityReady, HostRegistered, HostWeightLink,
	GuestSetUp, GuestReadsHost, GuestKnowsHost,
}

// Lookup returns the check with that ID, or nil.
func Lookup(id ID) *Check {
	for _, c := range Checks {
		if c.ID == id {
			return c
		}
	}
	return nil
}
