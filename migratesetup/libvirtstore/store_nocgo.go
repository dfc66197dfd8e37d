//go:build !cgo

package libvirtstore

import (
	"context"
	"fmt"

	"github.com/sfkvm/sfkvm/migratesetup"
)

// Store in a build without cgo: it has the methods of the real one, so
// that a program compiles the same in both builds, and Open never returns
// one. A zero Store's methods return ErrNoLibvirt.
type Store struct{}

// Open reports that this build has no libvirt: the error wraps
// ErrNoLibvirt and names the URI.
func Open(uri string) (*Store, error) {
	return nil, fmt.Errorf("connecting to libvirt at %s: %w", uri, ErrNoLibvirt)
}

// Close does nothing.
func (s *Store) Close() error { return nil }

// InactiveXML returns ErrNoLibvirt.
func (s *Store) InactiveXML(context.Context, string) (string, error) { return "", ErrNoLibvirt }

// LiveXML returns ErrNoLibvirt.
func (s *Store) LiveXML(context.Context, string) (string, error) { return "", ErrNoLibvirt }

var _ migratesetup.LiveStore = (*Store)(nil)

// State returns ErrNoLibvirt.
func (s *Store) State(context.Context, string) (migratesetup.State, error) {
	return migratesetup.StateNoState, ErrNoLibvirt
}

// Persistent returns ErrNoLibvirt.
func (s *Store) Persistent(context.Context, string) (bool, error) { return false, ErrNoLibvirt }

// Define returns ErrNoLibvirt.
func (s *Store) Define(context.Context, string) error { return ErrNoLibvirt }

// Shutdown returns ErrNoLibvirt.
func (s *Store) Shutdown(context.Context, string) error { return ErrNoLibvirt }

// Destroy returns ErrNoLibvirt.
func (s *Store) Destroy(context.Context, string) error { return ErrNoLibvirt }

// Start returns ErrNoLibvirt.
func (s *Store) Start(context.Context, string) error { return ErrNoLibvirt }

// List returns ErrNoLibvirt.
func (s *Store) List(context.Context) ([]string, error) { return nil, ErrNoLibvirt }

// MigrateTo returns ErrNoLibvirt.
func (s *Store) MigrateTo(context.Context, string, migratesetup.Migrator, migratesetup.MigrateOptions, func(migratesetup.MigrateProgress)) (migratesetup.MigrateStats, error) {
	return migratesetup.MigrateStats{}, ErrNoLibvirt
}

var (
	_ migratesetup.Store    = (*Store)(nil)
	_ migratesetup.Migrator = (*Store)(nil)
)
