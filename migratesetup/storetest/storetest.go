package storetest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup"
)

// Secret is the VNC password of every domain the suite defines
// (Harness.Domain puts it in the definition; QEMU allows 8 characters):
// it must survive every read and define.
const Secret = "sfkvm-pw"

// Harness is what the suite needs to know about a store and its
// hypervisor.
type Harness struct {
	// Open returns a store; the suite calls it once per subtest and closes
	// nothing itself (close it with t.Cleanup). The suite's domains are
	// named sfkvm-storetest-N-WHAT, unique in the process, so stores may
	// share one libvirt.
	Open func(t *testing.T) migratesetup.Store
	// Domain returns the definition of a persistent domain named name that
	// the store defines and can start: one disk at target vda (bus
	// virtio), and a VNC display whose password is Secret.
	Domain func(t *testing.T, name string) string
	// Transient starts a transient domain named name (libvirt's
	// DomainCreateXML, virsh create) where s sees it. Nil skips the case.
	Transient func(t *testing.T, s migratesetup.Store, name string)
	// Refusing defines and starts, where s sees it, a domain named name
	// whose definition the store refuses once sfkvm's disk is added (a
	// definition libvirt would not take again). Nil skips the case.
	Refusing func(t *testing.T, s migratesetup.Store, name string)
	// Remove, when set, deletes a domain that the suite made, after the
	// suite has forced it off; the suite calls it in its cleanup.
	Remove func(t *testing.T, name string)
	// ShutdownTimeout is how long a guest may take to honour an ACPI
	// shutdown before the suite's --restart --force turns it off: 1 s when
	// zero. A guest without an operating system never shuts down by ACPI.
	ShutdownTimeout time.Duration
}

var seq atomic.Int64

// TestStore runs the conformance suite on the stores h opens, each case as
// a subtest.
func TestStore(t *testing.T, h Harness) {
	t.Helper()
	if h.Open == nil || h.Domain == nil {
		t.Fatal("storetest: Harness.Open and Harness.Domain are required")
	}
	if h.ShutdownTimeout <= 0 {
		h.ShutdownTimeout = time.Second
	}
	cases := []struct {
		name string
		run  func(*testing.T, *env)
	}{
		{"UnknownDomain", testUnknownDomain},
		{"DefineKeepsSecrets", testDefineKeepsSecrets},
		{"MalformedDefinitionRefused", testMalformed},
		{"SetupAndRemoveShutOff", testSetupShutOff},
		{"SetupConcurrently", testConcurrent},
		{"RunningRefusedWithoutRestart", testRunningRefused},
		{"RestartDefinesBeforeStopping", testRestart},
		{"LiveDefinition", testLive},
		{"TransientRefused", testTransient},
		{"RefusedDefinitionKeepsGuestRunning", testRefusedDefinition},
		{"EndedContext", testEndedContext},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := &env{h: h, ctx: context.Background()}
			e.s = h.Open(t)
			if e.s == nil {
				t.Fatal("Harness.Open returned a nil store")
			}
			t.Cleanup(func() { e.cleanup(t) })
			c.run(t, e)
		})
	}
}

// env is one subtest's store and the domains it made.
type env struct {
	h     Harness
	s     migratesetup.Store
	ctx   context.Context
	names []string
}

// name returns a fresh domain name and remembers it for the cleanup.
func (e *env) name(what string) string {
	n := fmt.Sprintf("sfkvm-storetest-%d-%s", seq.Add(1), what)
	e.names = append(e.names, n)
	return n
}

// cleanup forces off what the subtest left running, then lets the harness
// remove the domains.
func (e *env) cleanup(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, n := range e.names {
		if st, err := e.s.State(ctx, n); err == nil && st != migratesetup.StateShutoff {
			if err := e.s.Destroy(ctx, n); err != nil && !errors.Is(err, migratesetup.ErrNoDomain) {
				t.Errorf("cleanup: forcing %s off: %v", n, err)
			}
		}
		if e.h.Remove != nil {
			e.h.Remove(t, n)
		}
	}
}

// define defines a shut-off domain from the harness's definition.
func (e *env) define(t *testing.T, what string) string {
	t.Helper()
	n := e.name(what)
	if err := e.s.Define(e.ctx, e.h.Domain(t, n)); err != nil {
		t.Fatalf("Define %s: %v", n, err)
	}
	return n
}

// running defines a domain and starts it.
func (e *env) running(t *testing.T, what string) string {
	t.Helper()
	n := e.define(t, what)
	if err := e.s.Start(e.ctx, n); err != nil {
		t.Fatalf("Start %s: %v", n, err)
	}
	e.wantState(t, n, migratesetup.StateRunning)
	return n
}

func (e *env) wantState(t *testing.T, name string, want migratesetup.State) {
	t.Helper()
	st, err := e.s.State(e.ctx, name)
	if err != nil || st != want {
		t.Fatalf("State(%s) = %s, %v; want %s", name, st, err, want)
	}
}

func (e *env) inactive(t *testing.T, name string) string {
	t.Helper()
	x, err := e.s.InactiveXML(e.ctx, name)
	if err != nil {
		t.Fatalf("InactiveXML(%s): %v", name, err)
	}
	return x
}

// register writes a host information file in a folder of the test's own
// and returns options that use it.
func register(t *testing.T) migratesetup.Options {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hostinfo")
	info := migratesetup.HostInfo{CFName: "cfhost1", IP: netip.MustParseAddr("192.0.2.1")}
	if err := migratesetup.Register(context.Background(), path, info); err != nil {
		t.Fatal(err)
	}
	return migratesetup.Options{HostInfoPath: path, PollInterval: 50 * time.Millisecond}
}

func testUnknownDomain(t *testing.T, e *env) {
	absent := e.name("absent")
	calls := map[string]func() error{
		"InactiveXML": func() error { _, err := e.s.InactiveXML(e.ctx, absent); return err },
		"State":       func() error { _, err := e.s.State(e.ctx, absent); return err },
		"Persistent":  func() error { _, err := e.s.Persistent(e.ctx, absent); return err },
		"Shutdown":    func() error { return e.s.Shutdown(e.ctx, absent) },
		"Destroy":     func() error { return e.s.Destroy(e.ctx, absent) },
		"Start":       func() error { return e.s.Start(e.ctx, absent) },
	}
	if ls, ok := e.s.(migratesetup.LiveStore); ok {
		calls["LiveXML"] = func() error { _, err := ls.LiveXML(e.ctx, absent); return err }
	}
	for m, call := range calls {
		if err := call(); !errors.Is(err, migratesetup.ErrNoDomain) {
			t.Errorf("%s of an unknown domain: %v; want an error that is migratesetup.ErrNoDomain", m, err)
		}
	}
	r := migratesetup.SetupGuest(e.ctx, e.s, absent, register(t))
	if r.Outcome != migratesetup.Failed || !errors.Is(r.Err, migratesetup.ErrNoDomain) {
		t.Errorf("SetupGuest of an unknown domain: %+v", r)
	}
}

func testDefineKeepsSecrets(t *testing.T, e *env) {
	n := e.define(t, "secret")
	names, err := e.s.List(e.ctx)
	if err != nil || !slices.Contains(names, n) {
		t.Fatalf("List = %v, %v; want it to hold %s", names, err, n)
	}
	e.wantState(t, n, migratesetup.StateShutoff)
	if p, err := e.s.Persistent(e.ctx, n); err != nil || !p {
		t.Errorf("Persistent(%s) = %v, %v; want true", n, p, err)
	}
	x := e.inactive(t, n)
	if !strings.Contains(x, "<name>"+n+"</name>") || !strings.Contains(x, Secret) {
		t.Fatalf("InactiveXML lacks the name or the VNC password (it must read with secrets):\n%s", x)
	}
	// Defining what was read gives the same definition back, secret and all.
	if err := e.s.Define(e.ctx, x); err != nil {
		t.Fatalf("defining the definition read back: %v", err)
	}
	if again := e.inactive(t, n); again != x {
		t.Errorf("a read and define changed the definition:\nbefore:\n%s\nafter:\n%s", x, again)
	}
}

func testMalformed(t *testing.T, e *env) {
	n := e.name("malformed")
	if err := e.s.Define(e.ctx, "<domain type='test'><name>"+n+"</name><devices>"); err == nil {
		t.Fatal("a malformed definition was defined")
	}
	if names, err := e.s.List(e.ctx); err != nil || slices.Contains(names, n) {
		t.Errorf("List = %v, %v: after a refused define it must not hold %s", names, err, n)
	}
}

func testSetupShutOff(t *testing.T, e *env) {
	opts := register(t)
	n := e.define(t, "off")
	r := migratesetup.SetupGuest(e.ctx, e.s, n, opts)
	if r.Outcome != migratesetup.SetUp || r.Target != "vdb" || r.Err != nil || r.Stopped != "" || r.Started {
		t.Fatalf("SetupGuest: %+v", r)
	}
	x := e.inactive(t, n)
	if !strings.Contains(x, "<serial>"+migratesetup.Serial+"</serial>") || !strings.Contains(x, opts.HostInfoPath) || !strings.Contains(x, Secret) {
		t.Fatalf("the definition after set-up lacks the disk or the VNC password:\n%s", x)
	}
	e.wantState(t, n, migratesetup.StateShutoff)
	if r := migratesetup.SetupGuest(e.ctx, e.s, n, opts); r.Outcome != migratesetup.AlreadySetUp {
		t.Errorf("second SetupGuest: %+v", r)
	}
	if r := migratesetup.RemoveGuest(e.ctx, e.s, n, opts); r.Outcome != migratesetup.Removed || r.Target != "vdb" {
		t.Errorf("RemoveGuest: %+v", r)
	}
	x = e.inactive(t, n)
	if strings.Contains(x, migratesetup.Serial) || !strings.Contains(x, Secret) {
		t.Errorf("the definition after removal holds the disk or lost the VNC password:\n%s", x)
	}
	if r := migratesetup.RemoveGuest(e.ctx, e.s, n, opts); r.Outcome != migratesetup.NotSetUp {
		t.Errorf("second RemoveGuest: %+v", r)
	}
}

func testConcurrent(t *testing.T, e *env) {
	opts := register(t)
	opts.Parallel = 4
	var names []string
	for i := range 6 {
		names = append(names, e.define(t, fmt.Sprintf("par%d", i)))
	}
	for _, r := range migratesetup.SetupGuests(e.ctx, e.s, names, opts) {
		if r.Outcome != migratesetup.SetUp {
			t.Errorf("%s: %+v", r.Domain, r)
		}
	}
	for _, n := range names {
		if x := e.inactive(t, n); !strings.Contains(x, migratesetup.Serial) {
			t.Errorf("%s not set up:\n%s", n, x)
		}
	}
}

func testRunningRefused(t *testing.T, e *env) {
	opts := register(t)
	n := e.running(t, "running")
	before := e.inactive(t, n)
	r := migratesetup.SetupGuest(e.ctx, e.s, n, opts)
	if r.Outcome != migratesetup.Refused || !errors.Is(r.Err, migratesetup.ErrNotShutOff) || r.State != migratesetup.StateRunning {
		t.Errorf("SetupGuest of a running guest without --restart: %+v", r)
	}
	e.wantState(t, n, migratesetup.StateRunning)
	if after := e.inactive(t, n); after != before {
		t.Errorf("a refused set-up changed the definition:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// recorder records the store calls that change a domain, in order.
type recorder struct {
	migratesetup.Store
	mu    sync.Mutex
	calls []string
}

func (r *recorder) note(m string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, m)
}

func (r *recorder) Define(ctx context.Context, x string) error {
	r.note("Define")
	return r.Store.Define(ctx, x)
}

func (r *recorder) Shutdown(ctx context.Context, d string) error {
	r.note("Shutdown")
	return r.Store.Shutdown(ctx, d)
}

func (r *recorder) Destroy(ctx context.Context, d string) error {
	r.note("Destroy")
	return r.Store.Destroy(ctx, d)
}

func (r *recorder) Start(ctx context.Context, d string) error {
	r.note("Start")
	return r.Store.Start(ctx, d)
}

func testRestart(t *testing.T, e *env) {
	opts := register(t)
	opts.Restart, opts.Force, opts.ShutdownTimeout = true, true, e.h.ShutdownTimeout
	n := e.running(t, "restart")
	rec := &recorder{Store: e.s}
	r := migratesetup.SetupGuest(e.ctx, rec, n, opts)
	if r.Outcome != migratesetup.SetUp || !r.Started || (r.Stopped != "shutdown" && r.Stopped != "destroyed") {
		t.Fatalf("SetupGuest --restart --force: %+v", r)
	}
	// Define first: a definition refused then never costs a restart.
	want := []string{"Define", "Shutdown", "Start"}
	if r.Stopped == "destroyed" {
		want = []string{"Define", "Shutdown", "Destroy", "Start"}
	}
	if !slices.Equal(rec.calls, want) {
		t.Errorf("calls %v, want %v (define before stopping)", rec.calls, want)
	}
	e.wantState(t, n, migratesetup.StateRunning)
	if x := e.inactive(t, n); !strings.Contains(x, migratesetup.Serial) || !strings.Contains(x, Secret) {
		t.Errorf("the definition after --restart lacks the disk or the VNC password:\n%s", x)
	}
	if ls, ok := e.s.(migratesetup.LiveStore); ok {
		live, err := ls.LiveXML(e.ctx, n)
		if err != nil || !strings.Contains(live, migratesetup.Serial) {
			t.Errorf("after --restart the guest does not run with the disk: %v\n%s", err, live)
		}
	}
}

func testLive(t *testing.T, e *env) {
	ls, ok := e.s.(migratesetup.LiveStore)
	if !ok {
		t.Skip("the store is not a migratesetup.LiveStore")
	}
	opts := register(t)
	n := e.running(t, "live")
	ed, err := migratesetup.AddHostInfoDisk(e.inactive(t, n), opts.HostInfoPath)
	if err != nil {
		t.Fatal(err)
	}
	// Defining a running domain changes its next boot only.
	if err := e.s.Define(e.ctx, ed.XML); err != nil {
		t.Fatal(err)
	}
	live, err := ls.LiveXML(e.ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(live, migratesetup.Serial) || !strings.Contains(live, "<name>"+n+"</name>") {
		t.Errorf("the live definition took the persistent one's change:\n%s", live)
	}
	if !strings.Contains(e.inactive(t, n), migratesetup.Serial) {
		t.Error("the persistent definition lacks the change")
	}
	e.wantState(t, n, migratesetup.StateRunning)
}

func testTransient(t *testing.T, e *env) {
	if e.h.Transient == nil {
		t.Skip("the harness makes no transient domains")
	}
	opts := register(t)
	n := e.name("transient")
	e.h.Transient(t, e.s, n)
	if p, err := e.s.Persistent(e.ctx, n); err != nil || p {
		t.Fatalf("Persistent(%s) = %v, %v; want false", n, p, err)
	}
	rec := &recorder{Store: e.s}
	for _, restart := range []bool{false, true} {
		o := opts
		o.Restart, o.Force, o.ShutdownTimeout = restart, restart, e.h.ShutdownTimeout
		r := migratesetup.SetupGuest(e.ctx, rec, n, o)
		if r.Outcome != migratesetup.Refused || !errors.Is(r.Err, migratesetup.ErrTransient) {
			t.Errorf("restart %v: %+v", restart, r)
		}
		e.wantState(t, n, migratesetup.StateRunning)
	}
	if r := migratesetup.RemoveGuest(e.ctx, rec, n, migratesetup.Options{Restart: true, Force: true}); !errors.Is(r.Err, migratesetup.ErrTransient) {
		t.Errorf("RemoveGuest: %+v", r)
	}
	if len(rec.calls) != 0 {
		t.Errorf("calls on a transient guest: %v", rec.calls)
	}
	e.wantState(t, n, migratesetup.StateRunning)
}

func testRefusedDefinition(t *testing.T, e *env) {
	if e.h.Refusing == nil {
		t.Skip("the harness makes no domain whose edit the store refuses")
	}
	opts := register(t)
	opts.Restart, opts.Force, opts.ShutdownTimeout = true, true, e.h.ShutdownTimeout
	n := e.name("refusing")
	e.h.Refusing(t, e.s, n)
	e.wantState(t, n, migratesetup.StateRunning)
	before := e.inactive(t, n)
	rec := &recorder{Store: e.s}
	r := migratesetup.SetupGuest(e.ctx, rec, n, opts)
	if r.Outcome != migratesetup.Failed || r.Err == nil || r.Stopped != "" || r.Started {
		t.Errorf("SetupGuest --restart of a definition the store refuses: %+v", r)
	}
	if !slices.Equal(rec.calls, []string{"Define"}) {
		t.Errorf("calls %v, want only the refused Define (the guest is never stopped for it)", rec.calls)
	}
	e.wantState(t, n, migratesetup.StateRunning)
	if after := e.inactive(t, n); after != before {
		t.Errorf("the refused definition changed it:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func testEndedContext(t *testing.T, e *env) {
	n := e.define(t, "ctx")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.s.List(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("List with an ended context: %v", err)
	}
	if _, err := e.s.InactiveXML(ctx, n); !errors.Is(err, context.Canceled) {
		t.Errorf("InactiveXML with an ended context: %v", err)
	}
	if err := e.s.Start(ctx, n); !errors.Is(err, context.Canceled) {
		t.Errorf("Start with an ended context: %v", err)
	}
	e.wantState(t, n, migratesetup.StateShutoff)
}
