package migratesetup

import (
	"context"
	"errors"
)

// Store is what SetupGuest needs from libvirt, declared here so that the
// core and its plan are tested without libvirt. The real ones are
// package migratesetup/rpcstore (libvirt's daemon over its socket, pure
// Go) and migratesetup/libvirtstore (libvirt's C library, cgo); a fake is
// in migratesetup/migratesetuptest. All three pass the conformance suite
// of migratesetup/storetest, which another implementation can run too.
//
// Errors keep their cause: the cgo store wraps libvirt.Error, so
// errors.Is(err, libvirt.ERR_NO_DOMAIN) works on what SetupGuest returns,
// and the RPC store's rpcstore.Error keeps libvirt's code.
// A store also makes errors.Is(err, ErrNoDomain) true for an unknown
// domain, so that code without libvirt can tell that case apart.
type Store interface {
	// InactiveXML returns the persistent (next-boot) definition with its
	// secrets (libvirt's DOMAIN_XML_INACTIVE|DOMAIN_XML_SECURE): without
	// them, defining it again would delete a VNC password.
	InactiveXML(ctx context.Context, domain string) (string, error)
	// State returns the domain's state now.
	State(ctx context.Context, domain string) (State, error)
	// Persistent reports whether the domain has a persistent definition
	// (libvirt's virDomainIsPersistent). A transient domain (made with
	// virsh create, DomainCreateXML) has none: it exists while it runs and
	// is gone once it is shut down, so sfkvm never edits or stops one.
	Persistent(ctx context.Context, domain string) (bool, error)
	// Define defines the domain again from xml, validated against
	// libvirt's schema (DOMAIN_DEFINE_VALIDATE).
	Define(ctx context.Context, xml string) error
	// Shutdown asks the guest to shut down (ACPI) and returns at once.
	Shutdown(ctx context.Context, domain string) error
	// Destroy forces the domain off, like pulling the plug.
	Destroy(ctx context.Context, domain string) error
	// Start boots the domain from its persistent definition.
	Start(ctx context.Context, domain string) error
	// List returns the names of all domains, running or not.
	List(ctx context.Context) ([]string, error)
}

// LiveStore is a Store that also returns a domain's live definition: what
// the running guest was started with and has now (devices attached or
// detached live included), which a migration carries along. The persistent
// definition is only what the next boot gets: a guest redefined without the
// host information disk while it runs still has it until restarted, and a
// disk detached live is gone now while the persistent definition keeps it.
// The libvirt and in-memory stores implement it; preflight checks a running
// guest's live definition when its store does.
type LiveStore interface {
	Store
	// LiveXML returns the definition of the domain as it runs (libvirt's
	// GetXMLDesc without flags, so without secrets); for a domain that is
	// not running, its persistent definition.
	LiveXML(ctx context.Context, domain string) (string, error)
}

// ErrNoDomain: the store has no domain of that name.
var ErrNoDomain = errors.New("no such domain")

// State is a domain's state, libvirt's virDomainState.
type State int

const (
	StateNoState State = iota
	StateRunning
	StateBlocked
	StatePaused
	StateShutdown // shutting down
	StateShutoff
	StateCrashed
	StatePMSuspended
)

var stateNames = [...]string{"no state", "running", "blocked", "paused", "shutting down", "shut off", "crashed", "suspended"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown state"
}

// MarshalText writes the state's name in JSON.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
