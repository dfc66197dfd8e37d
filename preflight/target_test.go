package preflight_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// SealedPassword opens a token for its own guest only; a vendor token is
// ErrNotSealed, never sent as a password.
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

// A version-1 token (cipher's pinned one, made with this fixed key for
// guest11) opens only when allowed, and warns once, with the command that
// reseals it, however often the password is asked for.
func TestSealedPasswordVersion1(t *testing.T) {
	const keyLine = "sfkvm-key 1 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n"
	const v1 = "sfkvm1.AaZg3i9AQUJDREVGR0hJSktMTU5PUFFSU1RVVleEWHYDp9ALcg_0h76vnGWSxWv8syNsMTb6z6YRg6QvvA"
	key, err := cipher.ReadKey(strings.NewReader(keyLine), "test key")
	if err != nil {
		t.Fatal(err)
	}
	g := kvmguests.Guest{Name: "guest11", IP: netip.MustParseAddr("192.0.2.11"), User: "user1", Password: kvmguests.Token(v1)}
	var warnings []string
	warn := func(s string) { warnings = append(warnings, s) }
	ctx := context.Background()
	if _, err := preflight.SealedPassword(key, g, cipher.OpenOptions{}, warn).Password(ctx); !errors.Is(err, cipher.ErrUnboundToken) {
		t.Errorf("version 1 without the option: %v", err)
	}
	src := preflight.SealedPassword(key, g, cipher.OpenOptions{AllowVersion1: true}, warn)
	for range 2 {
		if pw, err := src.Password(ctx); err != nil || string(pw) != "Passw0rd" {
			t.Errorf("version 1 with the option: %q, %v", pw, err)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "guest11: warning:") || !strings.Contains(warnings[0], preflight.ResealCommand(g)) {
		t.Errorf("warnings %q, want one that says how to reseal", warnings)
	}
}

// TestStatusOrder: Severity ranks FAIL over WARN over SKIP over OK (a
// metric's series keeps the worse of two results), and Counts.Of reads
// each status's count.
func TestStatusOrder(t *testing.T) {
	order := []preflight.Status{preflight.OK, preflight.Skip, preflight.Warn, preflight.Fail}
	for i := 1; i < len(order); i++ {
		if order[i].Severity() <= order[i-1].Severity() {
			t.Errorf("%s ranks %d, not above %s's %d", order[i], order[i].Severity(), order[i-1], order[i-1].Severity())
		}
	}
	c := preflight.Counts{OK: 1, Warn: 2, Fail: 3, Skip: 4}
	for i, s := range preflight.Statuses() {
		if c.Of(s) != i+1 {
			t.Errorf("Counts.Of(%s) = %d, want %d", s, c.Of(s), i+1)
		}
	}
	if len(preflight.Statuses()) != 4 || preflight.Status("BOGUS").Severity() != 0 {
		t.Errorf("Statuses %v; an unknown word ranks %d", preflight.Statuses(), preflight.Status("BOGUS").Severity())
	}
}

// TestWriteTextBuffered: a large report is written in a few calls, not a
// call per cell of the table.
func TestWriteTextBuffered(t *testing.T) {
	var rep preflight.Report
	for i := range 1000 {
		rep.Results = append(rep.Results, preflight.Result{Check: "guest.login", Step: "1.5",
			Title: "guest login", Target: fmt.Sprintf("guest%04d", i), Status: preflight.OK, Reason: "as root"})
	}
	var w testenv.WriteCounter
	if err := rep.WriteText(&w); err != nil {
		t.Fatal(err)
	}
	if w.Calls > 4 || w.Bytes < 1000*30 {
		t.Errorf("%d write calls for %d bytes", w.Calls, w.Bytes)
	}
}
