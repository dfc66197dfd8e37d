package preflight_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// SealedPassword opens a token for its own guest only; a vendor token is
// ErrNotSealed, never sent as a password. (Version-1 tokens and the
// warning: TestSealedPassword in examples/sfkvm, which makes one by hand.)
func TestSealedPasswordOwnGuestOnly(t *testing.T) {
	key, err := cipher.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	g := kvmguests.Guest{Name: "guest11", IP: netip.MustParseAddr("192.0.2.11"), User: "user1"}
	sealed, err := key.Seal(cipher.SecretFromString("Passw0rd"), preflight.GuestContext(g))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	g.Password = kvmguests.Token(sealed)
	if pw, err := preflight.SealedPassword(key, g, cipher.OpenOptions{}, nil).Password(ctx); err != nil || string(pw) != "Passw0rd" {
		t.Errorf("own guest: %q, %v", pw, err)
	}
	moved := g
	moved.Name = "guest12"
	if _, err := preflight.SealedPassword(key, moved, cipher.OpenOptions{}, nil).Password(ctx); !errors.Is(err, cipher.ErrTokenAltered) {
		t.Errorf("token moved to guest12: %v", err)
	}
	g.Password = kvmguests.Token("D0860AB04E1B8FA3")
	if _, err := preflight.SealedPassword(key, g, cipher.OpenOptions{}, nil).Password(ctx); !errors.Is(err, preflight.ErrNotSealed) {
		t.Errorf("vendor token: %v, want ErrNotSealed", err)
	}
}

// GuestTargets gives each guest its own password source, in file order.
func TestGuestTargets(t *testing.T) {
	gs := []kvmguests.Guest{
		{Name: "guest11", IP: netip.MustParseAddr("192.0.2.11"), User: "user1"},
		{Name: "guest12", IP: netip.MustParseAddr("fd00::12"), User: "root"},
	}
	ts := preflight.GuestTargets(gs, 2222, func(g kvmguests.Guest) sshcheck.PasswordSource { return cipher.SecretFromString(g.Name) })
	if len(ts) != 2 || ts[1].HostPort() != "[fd00::12]:2222" || ts[1].User != "root" || ts[0].Name != "guest11" {
		t.Fatalf("targets %+v", ts)
	}
	if pw, _ := ts[1].Password.Password(context.Background()); string(pw) != "guest12" {
		t.Errorf("guest12's password source gave %q", pw)
	}
	if ts := preflight.GuestTargets(gs, 0, nil); ts[0].Password != nil {
		t.Error("a password source without a password function")
	}
}
