//go:build cgo

package libvirtstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"libvirt.org/go/libvirt"

	"github.com/sfkvm/sfkvm/internal/safefile"
	"github.com/sfkvm/sfkvm/migratesetup"
)

// Store is a connection to libvirt. It is safe for concurrent use (libvirt
// connections are thread-safe).
type Store struct {
	conn *libvirt.Connect
}

// Open connects to uri (for example qemu:///system, test:///default, or a
// file-backed test:///ABS/PATH.xml). An error means libvirt cannot be
// reached.
func Open(uri string) (*Store, error) {
	if err := checkTestFile(uri); err != nil {
		return nil, fmt.Errorf("connecting to libvirt at %s: %w", uri, err)
	}
	c, err := libvirt.NewConnect(uri)
	if err != nil {
		return nil, fmt.Errorf("connecting to libvirt at %s: %w", uri, wrap(err))
	}
	if err := initXMLTypes(); err != nil {
		// Without it, parallel validated defines in this process may
		// race inside libxml2 (see initXMLTypes): refuse rather than
		// risk it.
		c.Close()
		return nil, fmt.Errorf("connecting to libvirt at %s: preparing XML validation: %w", uri, err)
	}
	return &Store{conn: c}, nil
}

// checkTestFile opens the file of a file-backed test:///ABS/PATH.xml URI
// before libvirt does: libvirt's test driver hands a missing or unreadable
// file to libxml2, which prints "I/O warning : failed to load external
// entity" on file descriptor 2 (past any writer of the caller) before
// libvirt returns its own error. Other URIs, and test:///default, are
// left to libvirt.
func checkTestFile(uri string) error {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "test" || u.Host != "" || u.Path == "" || u.Path == "/default" {
		return nil
	}
	// Opened non-blocking and refused unless a regular file: a FIFO there
	// would hang the open for ever, a device would be read by libxml2.
	f, err := safefile.OpenRegular(u.Path, false)
	if err != nil {
		return err
	}
	return f.Close()
}

// Close closes the connection.
func (s *Store) Close() error {
	_, err := s.conn.Close()
	return err
}

// libvirtError keeps the libvirt.Error (so errors.Is with a
// libvirt.ErrorNumber works) and adds migratesetup.ErrNoDomain for an
// unknown domain.
type libvirtError struct{ err libvirt.Error }

func (e libvirtError) Error() string { return e.err.Message }
func (e libvirtError) Unwrap() error { return e.err }
func (e libvirtError) Is(target error) bool {
	return target == migratesetup.ErrNoDomain && e.err.Code == libvirt.ERR_NO_DOMAIN
}

func wrap(err error) error {
	var le libvirt.Error
	if errors.As(err, &le) {
		return libvirtError{le}
	}
	return err
}

func (s *Store) lookup(ctx context.Context, name string) (*libvirt.Domain, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d, err := s.conn.LookupDomainByName(name)
	if err != nil {
		return nil, wrap(err)
	}
	return d, nil
}

// InactiveXML returns the persistent definition with secrets.
func (s *Store) InactiveXML(ctx context.Context, name string) (string, error) {
	d, err := s.lookup(ctx, name)
	if err != nil {
		return "", err
	}
	defer d.Free()
	x, err := d.GetXMLDesc(libvirt.DOMAIN_XML_INACTIVE | libvirt.DOMAIN_XML_SECURE)
	return x, wrap(err)
}

// LiveXML returns the definition the domain runs with (no flags: without
// secrets); for a domain that is not running, libvirt gives its persistent
// one.
func (s *Store) LiveXML(ctx context.Context, name string) (string, error) {
	d, err := s.lookup(ctx, name)
	if err != nil {
		return "", err
	}
	defer d.Free()
	x, err := d.GetXMLDesc(0)
	return x, wrap(err)
}

var _ migratesetup.LiveStore = (*Store)(nil)

// State returns the domain's state.
func (s *Store) State(ctx context.Context, name string) (migratesetup.State, error) {
	d, err := s.lookup(ctx, name)
	if err != nil {
		return 0, err
	}
	defer d.Free()
	st, _, err := d.GetState()
	if err != nil {
		return 0, wrap(err)
	}
	return migratesetup.State(st), nil
}

// Persistent reports whether the domain has a persistent definition.
func (s *Store) Persistent(ctx context.Context, name string) (bool, error) {
	d, err := s.lookup(ctx, name)
	if err != nil {
		return false, err
	}
	defer d.Free()
	p, err := d.IsPersistent()
	return p, wrap(err)
}

// Define defines the domain from xml, validated against the schema.
func (s *Store) Define(ctx context.Context, xml string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d, err := s.conn.DomainDefineXMLFlags(xml, libvirt.DOMAIN_DEFINE_VALIDATE)
	if err != nil {
		return wrap(err)
	}
	return d.Free()
}

// Shutdown asks the guest to shut down (ACPI, or the guest agent where the
// hypervisor prefers it) and returns at once.
func (s *Store) Shutdown(ctx context.Context, name string) error {
	return s.do(ctx, name, (*libvirt.Domain).Shutdown)
}

// Destroy forces the domain off.
func (s *Store) Destroy(ctx context.Context, name string) error {
	return s.do(ctx, name, (*libvirt.Domain).Destroy)
}

// Start boots the domain.
func (s *Store) Start(ctx context.Context, name string) error {
	return s.do(ctx, name, (*libvirt.Domain).Create)
}

func (s *Store) do(ctx context.Context, name string, f func(*libvirt.Domain) error) error {
	d, err := s.lookup(ctx, name)
	if err != nil {
		return err
	}
	defer d.Free()
	return wrap(f(d))
}

// List returns the names of all domains, running or not.
func (s *Store) List(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ds, err := s.conn.ListAllDomains(0)
	if err != nil {
		return nil, wrap(err)
	}
	names := make([]string, 0, len(ds))
	for i := range ds {
		n, err := ds[i].GetName()
		ds[i].Free()
		if err != nil {
			return nil, wrap(err)
		}
		names = append(names, n)
	}
	return names, nil
}

var _ migratesetup.Store = (*Store)(nil)
