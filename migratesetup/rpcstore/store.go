package rpcstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/digitalocean/go-libvirt"
	"github.com/digitalocean/go-libvirt/socket/dialers"

	"github.com/sfkvm/sfkvm/migratesetup"
)

// Store is a connection to a libvirt daemon over its RPC protocol. It is
// safe for concurrent use: calls are multiplexed on the one connection.
type Store struct {
	l    *libvirt.Libvirt
	conn net.Conn
	name string

	mu     sync.Mutex
	closed error // why the connection is gone; nil while it is usable
}

// ErrClosed: the store's connection is closed (Close, or a call whose
// context ended while libvirt had not answered).
var ErrClosed = errors.New("libvirt connection closed")

// Error is an error that libvirt's daemon returned, with its code
// (virErrorNumber: libvirt.ErrNoDomain, libvirt.ErrXMLInvalidSchema, ...)
// and message. errors.Is(err, migratesetup.ErrNoDomain) holds for an
// unknown domain.
type Error struct {
	Code    libvirt.ErrorNumber
	Message string
}

func (e Error) Error() string { return e.Message }

// Is makes an unknown domain migratesetup.ErrNoDomain.
func (e Error) Is(target error) bool {
	return target == migratesetup.ErrNoDomain && e.Code == libvirt.ErrNoDomain
}

// Code returns the libvirt error code that err carries, if it carries one.
func Code(err error) (libvirt.ErrorNumber, bool) {
	var e Error
	if errors.As(err, &e) {
		return e.Code, true
	}
	return 0, false
}

func wrap(err error) error {
	var le libvirt.Error
	if errors.As(err, &le) {
		return Error{Code: libvirt.ErrorNumber(le.Code), Message: le.Message}
	}
	return err
}

// Open connects to the libvirt daemon that serves uri on this host (see
// Resolve: qemu:///system, qemu:///session, qemu+unix:///...?socket=PATH),
// trying its sockets in libvirt's order. When none answers the error is
// ErrNoDaemon and says what to start; a socket that refuses this user is
// an error that is os.ErrPermission (run as root or as a member of the
// libvirt group). ctx bounds the connection and libvirt's handshake.
func Open(ctx context.Context, uri string) (*Store, error) {
	var d net.Dialer
	return OpenDialer(ctx, uri, func(ctx context.Context, path string) (net.Conn, error) {
		return d.DialContext(ctx, "unix", path)
	})
}

// OpenDialer is Open with the sockets reached through dial: a function
// that connects to a Unix socket path on the daemon's host, such as
// sshcheck.Client.DialUnix for another host (which needs no libvirt
// client there, and no second login). A dial error that is fs.ErrNotExist
// or ECONNREFUSED moves on to the next socket, as libvirt's client picks
// the daemon whose socket exists; through SSH, where the error does not
// say why, every failure does.
//
// For qemu:///session the sockets are found from this process's
// environment: for another host use qemu:///system, or name the socket
// (qemu+unix:///session?socket=PATH).
func OpenDialer(ctx context.Context, uri string, dial func(ctx context.Context, path string) (net.Conn, error)) (*Store, error) {
	ep, err := Resolve(uri)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, path := range ep.Sockets {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("connecting to libvirt at %s: %w", path, err)
		}
		conn, err := dial(ctx, path)
		if err == nil {
			return OpenConn(ctx, conn, ep.Name)
		}
		if errors.Is(err, fs.ErrPermission) {
			return nil, fmt.Errorf("connecting to libvirt at %s: %w (run as root, or as a member of the group that owns the socket: libvirt on most systems)", path, err)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connecting to libvirt at %s: %w", path, ctx.Err())
		}
		errs = append(errs, err)
		var ne *net.OpError
		if errors.As(err, &ne) && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ECONNREFUSED) {
			// A local socket that is there and fails otherwise: libvirt's
			// client would have used it, so say so.
			return nil, fmt.Errorf("connecting to libvirt at %s: %w", path, err)
		}
	}
	return nil, noDaemon(ep, errs)
}

// OpenConn speaks libvirt's protocol on conn, a connection to a daemon's
// socket that the caller made, and opens name there (qemu:///system).
// The store owns conn from then on: Close closes it, also when OpenConn
// fails. ctx bounds the handshake.
func OpenConn(ctx context.Context, conn net.Conn, name string) (*Store, error) {
	s := &Store{conn: conn, name: name, l: libvirt.NewWithDialer(dialers.NewAlreadyConnected(conn))}
	err := s.call(ctx, func() error { return s.l.ConnectToURI(libvirt.ConnectURI(name)) })
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("opening %s on libvirt's daemon: %w", name, err)
	}
	return s, nil
}

// Close ends the connection (libvirt's close call, bounded by 5 s, then
// the socket).
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed != nil {
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.call(ctx, s.l.Disconnect)
	s.abort(ErrClosed)
	if errors.Is(err, ErrClosed) {
		return nil
	}
	return err
}

// abort closes the connection for good, remembering why; calls waiting
// for an answer end with an error.
func (s *Store) abort(why error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed == nil {
		s.closed = why
		s.conn.Close()
	}
}

// call runs one libvirt call, bounded by ctx: go-libvirt takes no context,
// so when ctx ends before the daemon answers, the connection is closed
// (the call is abandoned: libvirt may still carry it out) and the store
// is unusable from then on.
func (s *Store) call(ctx context.Context, f func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed != nil {
		return fmt.Errorf("%w (%w)", ErrClosed, closed)
	}
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return wrap(err)
	case <-ctx.Done():
		s.abort(fmt.Errorf("a call's context ended: %w", ctx.Err()))
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		return fmt.Errorf("libvirt did not answer before the context ended (the connection is closed; the call may still take effect): %w", ctx.Err())
	}
}

func (s *Store) lookup(ctx context.Context, name string) (libvirt.Domain, error) {
	var d libvirt.Domain
	err := s.call(ctx, func() (err error) { d, err = s.l.DomainLookupByName(name); return err })
	return d, err
}

// onDomain looks the domain up and runs f on it, both bounded by ctx.
func (s *Store) onDomain(ctx context.Context, name string, f func(libvirt.Domain) error) error {
	d, err := s.lookup(ctx, name)
	if err != nil {
		return err
	}
	return s.call(ctx, func() error { return f(d) })
}

// InactiveXML returns the persistent definition with its secrets
// (DOMAIN_XML_INACTIVE|DOMAIN_XML_SECURE).
func (s *Store) InactiveXML(ctx context.Context, name string) (x string, err error) {
	err = s.onDomain(ctx, name, func(d libvirt.Domain) (err error) {
		x, err = s.l.DomainGetXMLDesc(d, libvirt.DomainXMLInactive|libvirt.DomainXMLSecure)
		return err
	})
	return x, err
}

// LiveXML returns the definition the domain runs with (no flags: without
// secrets); for a domain that is not running, its persistent one.
func (s *Store) LiveXML(ctx context.Context, name string) (x string, err error) {
	err = s.onDomain(ctx, name, func(d libvirt.Domain) (err error) {
		x, err = s.l.DomainGetXMLDesc(d, 0)
		return err
	})
	return x, err
}

// State returns the domain's state.
func (s *Store) State(ctx context.Context, name string) (st migratesetup.State, err error) {
	err = s.onDomain(ctx, name, func(d libvirt.Domain) error {
		v, _, err := s.l.DomainGetState(d, 0)
		st = migratesetup.State(v)
		return err
	})
	return st, err
}

// Persistent reports whether the domain has a persistent definition.
func (s *Store) Persistent(ctx context.Context, name string) (p bool, err error) {
	err = s.onDomain(ctx, name, func(d libvirt.Domain) error {
		v, err := s.l.DomainIsPersistent(d)
		p = v != 0
		return err
	})
	return p, err
}

// Define defines the domain from xml, validated against libvirt's schema
// (DOMAIN_DEFINE_VALIDATE).
func (s *Store) Define(ctx context.Context, xml string) error {
	return s.call(ctx, func() error {
		_, err := s.l.DomainDefineXMLFlags(xml, libvirt.DomainDefineValidate)
		return err
	})
}

// Shutdown asks the guest to shut down (ACPI, or the guest agent where the
// hypervisor prefers it) and returns at once.
func (s *Store) Shutdown(ctx context.Context, name string) error {
	return s.onDomain(ctx, name, s.l.DomainShutdown)
}

// Destroy forces the domain off.
func (s *Store) Destroy(ctx context.Context, name string) error {
	return s.onDomain(ctx, name, s.l.DomainDestroy)
}

// Start boots the domain from its persistent definition.
func (s *Store) Start(ctx context.Context, name string) error {
	return s.onDomain(ctx, name, s.l.DomainCreate)
}

// List returns the names of all domains, running or not.
func (s *Store) List(ctx context.Context) ([]string, error) {
	var ds []libvirt.Domain
	err := s.call(ctx, func() (err error) { ds, _, err = s.l.ConnectListAllDomains(1, 0); return err })
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = d.Name
	}
	return names, nil
}

// Version returns the version of the daemon's libvirt (9.0.0 as 9000000).
func (s *Store) Version(ctx context.Context) (v uint64, err error) {
	err = s.call(ctx, func() (err error) { v, err = s.l.ConnectGetLibVersion(); return err })
	return v, err
}

var (
	_ migratesetup.Store     = (*Store)(nil)
	_ migratesetup.LiveStore = (*Store)(nil)
)
