package migratesetuptest

import (
	"context"
	"encoding/xml"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup"
)

// Store is the fake. Use New; its methods are safe for concurrent use.
type Store struct {
	mu      sync.Mutex
	domains map[string]*Domain
	calls   map[string]int
	// Fail, when set, makes a method fail: it is called with the method
	// name ("Define", "Start", ...) and the domain, and its error is
	// returned.
	Fail func(method, domain string) error
	// migration shapes MigrateTo (SetMigration); migrateCalls records it.
	migration    Migration
	migrateCalls []MigrateCall
}

// Domain is one fake domain.
type Domain struct {
	XML string // the persistent definition
	// Live is the definition the running domain has (LiveXML): Start sets
	// it to XML, Define while it runs leaves it, SetLiveXML changes it (a
	// device attached or detached live).
	Live  string
	State migratesetup.State
	// Transient: the domain has no persistent definition (made with virsh
	// create). Once it is shut off or destroyed, it is gone.
	Transient bool
	// ShutdownDelay is how long the guest takes to honour an ACPI
	// shutdown; negative means it ignores the request.
	ShutdownDelay time.Duration
	offAt         time.Time // when a pending shutdown completes
}

// New returns a store holding the given domains, by name.
func New(domains map[string]*Domain) *Store {
	s := &Store{domains: map[string]*Domain{}, calls: map[string]int{}}
	for n, d := range domains {
		s.domains[n] = d
	}
	return s
}

// Add puts a domain into the store under name, replacing one of that
// name: a running transient domain (virsh create), say, which Define
// cannot make.
func (s *Store) Add(name string, d *Domain) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.domains[name] = d
}

// Calls returns how often method was called.
func (s *Store) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Domain returns a copy of the named domain, after any pending shutdown.
func (s *Store) Domain(name string) (Domain, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.domains[name]
	if !ok {
		return Domain{}, false
	}
	s.settle(d)
	if _, ok := s.domains[name]; !ok {
		return Domain{}, false
	}
	return *d, true
}

type noDomainError struct{ name string }

func (e noDomainError) Error() string {
	return fmt.Sprintf("Domain not found: no domain with matching name '%s'", e.name)
}
func (e noDomainError) Is(target error) bool { return target == migratesetup.ErrNoDomain }

// enter counts the call, applies Fail, and finds the domain.
func (s *Store) enter(ctx context.Context, method, name string) (*Domain, error) {
	s.calls[method]++
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.Fail != nil {
		if err := s.Fail(method, name); err != nil {
			return nil, err
		}
	}
	if method == "List" {
		return nil, nil
	}
	d, ok := s.domains[name]
	if ok {
		s.settle(d)
		_, ok = s.domains[name]
	}
	if !ok {
		return nil, noDomainError{name}
	}
	return d, nil
}

// settle completes a pending shutdown whose time has come.
func (s *Store) settle(d *Domain) {
	if !d.offAt.IsZero() && !time.Now().Before(d.offAt) {
		s.off(d)
	}
}

// off turns d off; a transient domain is then gone.
func (s *Store) off(d *Domain) {
	d.State, d.offAt = migratesetup.StateShutoff, time.Time{}
	if d.Transient {
		for n, x := range s.domains {
			if x == d {
				delete(s.domains, n)
			}
		}
	}
}

func (s *Store) InactiveXML(ctx context.Context, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.enter(ctx, "InactiveXML", name)
	if err != nil {
		return "", err
	}
	return d.XML, nil
}

func (s *Store) State(ctx context.Context, name string) (migratesetup.State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.enter(ctx, "State", name)
	if err != nil {
		return 0, err
	}
	return d.State, nil
}

func (s *Store) Persistent(ctx context.Context, name string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.enter(ctx, "Persistent", name)
	if err != nil {
		return false, err
	}
	return !d.Transient, nil
}

func (s *Store) Define(ctx context.Context, text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var v struct {
		XMLName xml.Name `xml:"domain"`
		Name    string   `xml:"name"`
	}
	if err := xml.Unmarshal([]byte(text), &v); err != nil || v.Name == "" {
		return fmt.Errorf("XML document failed to validate: %v", err)
	}
	s.calls["Define"]++
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.Fail != nil {
		if err := s.Fail("Define", v.Name); err != nil {
			return err
		}
	}
	d, ok := s.domains[v.Name]
	if !ok {
		d = &Domain{State: migratesetup.StateShutoff}
		s.domains[v.Name] = d
	}
	d.XML, d.Transient = text, false // libvirt: a defined domain is persistent
	return nil
}

func (s *Store) Shutdown(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.enter(ctx, "Shutdown", name)
	if err != nil {
		return err
	}
	if d.State != migratesetup.StateRunning {
		return fmt.Errorf("requested operation is not valid: domain is not running")
	}
	if d.ShutdownDelay >= 0 && d.offAt.IsZero() {
		d.offAt = time.Now().Add(d.ShutdownDelay)
		s.settle(d)
	}
	return nil
}

func (s *Store) Destroy(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.enter(ctx, "Destroy", name)
	if err != nil {
		return err
	}
	if d.State == migratesetup.StateShutoff {
		return fmt.Errorf("requested operation is not valid: domain is not running")
	}
	s.off(d)
	return nil
}

func (s *Store) Start(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.enter(ctx, "Start", name)
	if err != nil {
		return err
	}
	if d.State != migratesetup.StateShutoff {
		return fmt.Errorf("requested operation is not valid: domain is already running")
	}
	d.State, d.Live = migratesetup.StateRunning, d.XML
	return nil
}

// LiveXML returns the running domain's live definition (Domain.Live, or
// its persistent one when it has none), and the persistent definition of a
// domain that is not running, as libvirt does.
func (s *Store) LiveXML(ctx context.Context, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.enter(ctx, "LiveXML", name)
	if err != nil {
		return "", err
	}
	if d.State == migratesetup.StateRunning && d.Live != "" {
		return d.Live, nil
	}
	return d.XML, nil
}

// SetLiveXML changes the live definition of a running domain, as attaching
// or detaching a device with --live does; the persistent one stays.
func (s *Store) SetLiveXML(name, xml string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.enter(context.Background(), "SetLiveXML", name)
	if err != nil {
		return err
	}
	if d.State != migratesetup.StateRunning {
		return fmt.Errorf("requested operation is not valid: domain is not running")
	}
	d.Live = xml
	return nil
}

var _ migratesetup.LiveStore = (*Store)(nil)

func (s *Store) List(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.enter(ctx, "List", ""); err != nil { // List names no domain
		return nil, err
	}
	names := make([]string, 0, len(s.domains))
	for n := range s.domains {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

var _ migratesetup.Store = (*Store)(nil)
