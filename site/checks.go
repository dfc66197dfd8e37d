package site

import "github.com/sfkvm/sfkvm/preflight"

// Check is one site check: a stable ID (never renamed or reused), the
// manual's step it guards, a title for tables and what must be true.
type Check struct {
	ID    preflight.ID
	Step  preflight.Step
	Title string
	Doc   string
}

// The site checks, in report order.
var (
	HostReached = &Check{ID: "site.host", Step: "", Title: "host reached",
		Doc: "the site run logged in to the host over SSH, and its sfkvm preflight --format=json gave a report of schema sfkvm.preflight/v1 (what that report says is in its own rows); one row per host"}
	ConfSame = &Check{ID: "site.conf", Step: "1.4", Title: "one kvmguests.conf",
		Doc: "every host's kvmguests.conf is byte-identical: one SHA-256 for all (the detail lists the hosts of each checksum)"}
	WeightLinkSame = &Check{ID: "site.weightlink", Step: "2", Title: "one weight link",
		Doc: "every host is registered (its host information file reads) and -w is the same on every host"}
	HostCFNameKnown = &Check{ID: "site.hostcfname", Step: "1.1", Title: "host-cfname registered",
		Doc: "each guest's host-cfname is the CF node name of a registered host of the site; one row per guest"}
	GuestKeySame = &Check{ID: "site.guestkey", Step: "1.5", Title: "one guest host key",
		Doc: "root's known_hosts on every host holds the same key for the guest (a guest rebuilt and re-trusted on one host only fails here); one row per guest"}
	GuestSetUpWhereRuns = &Check{ID: "site.setup", Step: "3", Title: "set up where it runs",
		Doc: "the guest runs on one host and is set up there (that host's guest.setup is OK); one row per guest; SKIP when it runs on none of the hosts seen and some host's domains were not seen (not reached, no libvirt)"}
	GuestKnowsHosts = &Check{ID: "site.knowshost", Step: "5", Title: "knows every host",
		Doc: "root on the guest knows every host's key: each reached host's guest.knowshost rows for the guest are OK; one row per guest"}
)

// Checks is every site check, in report order.
var Checks = []*Check{HostReached, ConfSame, WeightLinkSame, HostCFNameKnown, GuestKeySame, GuestSetUpWhereRuns, GuestKnowsHosts}

// Lookup returns the site check with that ID, or nil.
func Lookup(id preflight.ID) *Check {
	for _, c := range Checks {
		if c.ID == id {
			return c
		}
	}
	return nil
}
