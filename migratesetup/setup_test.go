package migratesetup_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/migratesetuptest"
)

func guestXML(name string) string {
	return fmt.Sprintf(`<domain type='kvm'>
  <name>%s</name>
  <devices>
    <disk type='file' device='disk'>
      <source file='/img/%s.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <graphics type='vnc' passwd='pw-%s'/>
  </devices>
</domain>
`, name, name, name)
}

// hostinfo registers this host in a temporary folder and returns options
// that use it.
func hostinfo(t *testing.T) migratesetup.Options {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hostinfo")
	info := migratesetup.HostInfo{CFName: "cfhost1", IP: netip.MustParseAddr("10.20.30.40")}
	if err := migratesetup.Register(context.Background(), path, info); err != nil {
		t.Fatal(err)
	}
	return migratesetup.Options{HostInfoPath: path}
}

func fakeStore(states map[string]migratesetup.State) *migratesetuptest.Store {
	ds := map[string]*migratesetuptest.Domain{}
	for n, st := range states {
		ds[n] = &migratesetuptest.Domain{XML: guestXML(n), State: st}
	}
	return migratesetuptest.New(ds)
}

func TestSetupGuests(t *testing.T) {
	opts := hostinfo(t)
	s := fakeStore(map[string]migratesetup.State{
		"off":     migratesetup.StateShutoff,
		"running": migratesetup.StateRunning,
		"paused":  migratesetup.StatePaused,
	})
	rs := migratesetup.SetupGuests(context.Background(), s, []string{"off", "running", "paused", "absent", "off"}, opts)
	want := []struct {
		domain  string
		outcome migratesetup.Outcome
		is      error
	}{
		{"off", migratesetup.SetUp, nil},
		{"running", migratesetup.Refused, migratesetup.ErrNotShutOff},
		{"paused", migratesetup.Refused, migratesetup.ErrNotShutOff},
		{"absent", migratesetup.Failed, migratesetup.ErrNoDomain},
	}
	if len(rs) != len(want) {
		t.Fatalf("%d results, want one per distinct domain (%d)", len(rs), len(want))
	}
	for i, w := range want {
		r := rs[i]
		if r.Domain != w.domain || r.Outcome != w.outcome || (w.is == nil) != (r.Err == nil) || (w.is != nil && !errors.Is(r.Err, w.is)) {
			t.Errorf("result %d: %s %s %v, want %s %s %v", i, r.Domain, r.Outcome, r.Err, w.domain, w.outcome, w.is)
		}
	}
	if d, _ := s.Domain("off"); !strings.Contains(d.XML, "<serial>sfkvm-hostinfo</serial>") || !strings.Contains(d.XML, "passwd='pw-off'") {
		t.Errorf("definition after setup:\n%s", d.XML)
	}
	if d, _ := s.Domain("running"); d.XML != guestXML("running") || d.State != migratesetup.StateRunning {
		t.Error("a running guest was changed")
	}
	if n := s.Calls("Define"); n != 1 {
		t.Errorf("%d defines, want 1", n)
	}

	again := migratesetup.SetupGuests(context.Background(), s, []string{"off"}, opts)
	if again[0].Outcome != migratesetup.AlreadySetUp || again[0].Target != "vdb" || s.Calls("Define") != 1 {
		t.Errorf("second run: %+v, %d defines", again[0], s.Calls("Define"))
	}
}

func TestSetupRefusesWithoutHostInfo(t *testing.T) {
	s := fakeStore(map[string]migratesetup.State{"off": migratesetup.StateShutoff})
	opts := migratesetup.Options{HostInfoPath: filepath.Join(t.TempDir(), "absent")}
	r := migratesetup.SetupGuest(context.Background(), s, "off", opts)
	if r.Outcome != migratesetup.Refused || !errors.Is(r.Err, migratesetup.ErrHostInfoMissing) || s.Calls("Define") != 0 {
		t.Errorf("%+v, %d defines", r, s.Calls("Define"))
	}
	// A file that does not parse is refused too.
	opts.HostInfoPath = filepath.Join(t.TempDir(), "garbage")
	if err := os.WriteFile(opts.HostInfoPath, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := migratesetup.SetupGuest(context.Background(), s, "off", opts); !errors.Is(r.Err, migratesetup.ErrHostInfoInvalid) ||
		!strings.Contains(r.Err.Error(), "garbage:1:1: error: hostinfo-syntax") {
		t.Errorf("an invalid file: %+v", r)
	}
	// A folder is not a host information file either.
	opts.HostInfoPath = t.TempDir()
	if r := migratesetup.SetupGuest(context.Background(), s, "off", opts); !errors.Is(r.Err, migratesetup.ErrHostInfoMissing) {
		t.Errorf("a folder: %+v", r)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	opts := hostinfo(t)
	opts.DryRun = true
	s := fakeStore(map[string]migratesetup.State{"off": migratesetup.StateShutoff, "running": migratesetup.StateRunning})
	rs := migratesetup.SetupGuests(context.Background(), s, []string{"off", "running"}, opts)
	if rs[0].Outcome != migratesetup.WouldChange || !strings.Contains(rs[0].Diff, "+      <serial>sfkvm-hostinfo</serial>") {
		t.Errorf("off: %+v", rs[0])
	}
	if rs[1].Outcome != migratesetup.Refused || rs[1].Diff == "" {
		t.Errorf("running: %s, diff %q: a dry run shows the diff of a guest it would refuse", rs[1].Outcome, rs[1].Diff)
	}
	for _, r := range rs {
		if strings.Contains(r.Diff, "pw-") {
			t.Errorf("the diff shows the VNC password:\n%s", r.Diff)
		}
	}
	if n := s.Calls("Define") + s.Calls("Shutdown"); n != 0 {
		t.Errorf("a dry run made %d changes", n)
	}
}

func TestRemoveGuests(t *testing.T) {
	opts := hostinfo(t)
	s := fakeStore(map[string]migratesetup.State{"a": migratesetup.StateShutoff, "b": migratesetup.StateShutoff})
	migratesetup.SetupGuests(context.Background(), s, []string{"a"}, opts)
	// Removal works without the host information file.
	opts.HostInfoPath = "/nonexistent"
	rs := migratesetup.RemoveGuests(context.Background(), s, []string{"a", "b"}, opts)
	if rs[0].Outcome != migratesetup.Removed || rs[1].Outcome != migratesetup.NotSetUp {
		t.Errorf("%s %s, want removed, not set up", rs[0].Outcome, rs[1].Outcome)
	}
	if d, _ := s.Domain("a"); d.XML != guestXML("a") {
		t.Errorf("after removal the definition differs from the original:\n%s", d.XML)
	}
}

func TestRestart(t *testing.T) {
	for _, tc := range []struct {
		name        string
		delay       time.Duration // how long the guest takes; negative: ignores ACPI
		force       bool
		outcome     migratesetup.Outcome
		stopped     string
		started     bool
		destroyed   int
		state       migratesetup.State
		err         []error
		tookAtLeast time.Duration
		tookAtMost  time.Duration
	}{
		{name: "shuts down in 30s", delay: 30 * time.Second, outcome: migratesetup.SetUp, stopped: "shutdown", started: true,
			state: migratesetup.StateRunning, tookAtLeast: 30 * time.Second, tookAtMost: 31 * time.Second},
		// The definition is already defined when the guest will not go
		// down: it is its next boot, and the error says so.
		{name: "ignores ACPI", delay: -1, outcome: migratesetup.Failed, state: migratesetup.StateRunning,
			err: []error{migratesetup.ErrShutdownTimeout, migratesetup.ErrNotRestarted}, tookAtLeast: time.Minute, tookAtMost: time.Minute},
		{name: "ignores ACPI, forced", delay: -1, force: true, outcome: migratesetup.SetUp, stopped: "destroyed", started: true,
			destroyed: 1, state: migratesetup.StateRunning, tookAtLeast: time.Minute, tookAtMost: time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := hostinfo(t)
			synctest.Test(t, func(t *testing.T) {
				opts.Restart, opts.Force, opts.ShutdownTimeout = true, tc.force, time.Minute
				s := migratesetuptest.New(map[string]*migratesetuptest.Domain{
					"g": {XML: guestXML("g"), State: migratesetup.StateRunning, ShutdownDelay: tc.delay},
				})
				start := time.Now()
				r := migratesetup.SetupGuest(context.Background(), s, "g", opts)
				took := time.Since(start)
				if r.Outcome != tc.outcome || r.Stopped != tc.stopped || r.Started != tc.started {
					t.Errorf("%+v", r)
				}
				for _, e := range tc.err {
					if !errors.Is(r.Err, e) {
						t.Errorf("err = %v, want %v", r.Err, e)
					}
				}
				if tc.err == nil && r.Err != nil {
					t.Errorf("err = %v", r.Err)
				}
				if took < tc.tookAtLeast || took > tc.tookAtMost {
					t.Errorf("took %v, want %v to %v", took, tc.tookAtLeast, tc.tookAtMost)
				}
				if s.Calls("Define") != 1 || s.Calls("Destroy") != tc.destroyed {
					t.Errorf("%d defines, %d destroys", s.Calls("Define"), s.Calls("Destroy"))
				}
				d, _ := s.Domain("g")
				if d.State != tc.state || !strings.Contains(d.XML, migratesetup.Serial) {
					t.Errorf("left %s, set up: %v", d.State, strings.Contains(d.XML, migratesetup.Serial))
				}
			})
		})
	}
}

// A definition that libvirt refuses never costs the guest a restart: it
// is defined before the guest is stopped, and a refusal stops there.
func TestRestartNeverStopsTheGuestForARefusedDefinition(t *testing.T) {
	opts := hostinfo(t)
	opts.Restart = true
	refused := errors.New("XML document failed to validate against schema")
	setUp, err := migratesetup.AddHostInfoDisk(guestXML("g"), opts.HostInfoPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		xml  string
		do   func(context.Context, migratesetup.Store, string, migratesetup.Options) migratesetup.Result
	}{
		{"setup", guestXML("g"), migratesetup.SetupGuest},
		{"remove", setUp.XML, migratesetup.RemoveGuest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := migratesetuptest.New(map[string]*migratesetuptest.Domain{"g": {XML: tc.xml, State: migratesetup.StateRunning}})
				s.Fail = func(method, domain string) error {
					if method == "Define" {
						return refused
					}
					return nil
				}
				r := tc.do(context.Background(), s, "g", opts)
				if r.Outcome != migratesetup.Failed || !errors.Is(r.Err, refused) || r.Stopped != "" || r.Started ||
					!strings.Contains(r.Err.Error(), "left running, unchanged") {
					t.Errorf("%+v", r)
				}
				if n := s.Calls("Shutdown") + s.Calls("Destroy") + s.Calls("Start"); n != 0 {
					t.Errorf("%d shutdowns, destroys or starts for a refused definition", n)
				}
				if d, _ := s.Domain("g"); d.State != migratesetup.StateRunning || d.XML != tc.xml {
					t.Errorf("left %s", d.State)
				}
				// Accepted, the same guest is defined, then restarted.
				s.Fail = nil
				r = tc.do(context.Background(), s, "g", opts)
				if !r.Outcome.OK() || r.Stopped != "shutdown" || !r.Started || s.Calls("Define") != 2 {
					t.Errorf("accepted: %+v", r)
				}
			})
		})
	}
}

// When the guest was stopped for the new definition and does not start
// again, the error says that it is off and that the definition is there.
func TestRestartWhenTheStartFails(t *testing.T) {
	opts := hostinfo(t)
	opts.Restart = true
	noStart := errors.New("unsupported configuration: no room")
	synctest.Test(t, func(t *testing.T) {
		s := migratesetuptest.New(map[string]*migratesetuptest.Domain{"g": {XML: guestXML("g"), State: migratesetup.StateRunning}})
		s.Fail = func(method, domain string) error {
			if method == "Start" {
				return noStart
			}
			return nil
		}
		r := migratesetup.SetupGuest(context.Background(), s, "g", opts)
		if r.Outcome != migratesetup.Failed || !errors.Is(r.Err, noStart) || !errors.Is(r.Err, migratesetup.ErrNotRestarted) ||
			r.Stopped != "shutdown" || r.Started || !strings.Contains(r.Err.Error(), "is now off") || !strings.Contains(r.Err.Error(), "virsh start g") {
			t.Errorf("%+v", r)
		}
		if d, _ := s.Domain("g"); d.State != migratesetup.StateShutoff || !strings.Contains(d.XML, migratesetup.Serial) {
			t.Errorf("left %s", d.State)
		}
	})
}

// Only a shut-off guest, or a running one with Restart, is changed. A
// paused guest cannot shut down by ACPI (waiting would only run into the
// timeout), a crashed one is not running: each is refused, with or without
// Restart, naming its state, before anything is done to it.
func TestRefusedStates(t *testing.T) {
	opts := hostinfo(t)
	for _, st := range []migratesetup.State{migratesetup.StatePaused, migratesetup.StateCrashed, migratesetup.StateShutdown,
		migratesetup.StatePMSuspended, migratesetup.StateNoState, migratesetup.StateBlocked, migratesetup.StateRunning} {
		for _, restart := range []bool{false, true} {
			if st == migratesetup.StateRunning && restart {
				continue // the one handled case (TestRestart)
			}
			t.Run(fmt.Sprintf("%s, restart %v", st, restart), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					s := migratesetuptest.New(map[string]*migratesetuptest.Domain{"g": {XML: guestXML("g"), State: st}})
					o := opts
					o.Restart, o.Force = restart, restart
					r := migratesetup.SetupGuest(context.Background(), s, "g", o)
					if r.Outcome != migratesetup.Refused || !errors.Is(r.Err, migratesetup.ErrNotShutOff) || !strings.Contains(r.Err.Error(), "it is "+st.String()+";") {
						t.Errorf("%+v", r)
					}
					if st != migratesetup.StateRunning && strings.Contains(r.Err.Error(), "use --restart") {
						t.Errorf("the hint offers --restart for a %s guest: %v", st, r.Err)
					}
					if n := s.Calls("Define") + s.Calls("Shutdown") + s.Calls("Destroy") + s.Calls("Start"); n != 0 {
						t.Errorf("%d changes to a %s guest", n, st)
					}
					if r := migratesetup.RemoveGuest(context.Background(), s, "g", o); r.Outcome != migratesetup.NotSetUp {
						t.Errorf("removal from a guest never set up: %+v", r)
					}
				})
			})
		}
	}
}

// A transient domain has no persistent definition to edit, and stopping
// it deletes it: refused always, before anything is done to it, with a
// hint that does not offer --restart.
func TestTransientIsRefused(t *testing.T) {
	opts := hostinfo(t)
	for _, tc := range []struct {
		name   string
		opts   func(*migratesetup.Options)
		remove bool
	}{
		{"plain", func(*migratesetup.Options) {}, false},
		{"restart", func(o *migratesetup.Options) { o.Restart = true }, false},
		{"restart, force", func(o *migratesetup.Options) { o.Restart, o.Force = true, true }, false},
		{"dry run", func(o *migratesetup.Options) { o.DryRun = true }, false},
		{"remove, restart", func(o *migratesetup.Options) { o.Restart = true }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				x := guestXML("t")
				if tc.remove {
					e, err := migratesetup.AddHostInfoDisk(x, opts.HostInfoPath)
					if err != nil {
						t.Fatal(err)
					}
					x = e.XML
				}
				s := migratesetuptest.New(map[string]*migratesetuptest.Domain{"t": {XML: x, State: migratesetup.StateRunning, Transient: true}})
				o := opts
				tc.opts(&o)
				var r migratesetup.Result
				if tc.remove {
					r = migratesetup.RemoveGuest(context.Background(), s, "t", o)
				} else {
					r = migratesetup.SetupGuest(context.Background(), s, "t", o)
				}
				if r.Outcome != migratesetup.Refused || !errors.Is(r.Err, migratesetup.ErrTransient) || r.Diff != "" {
					t.Errorf("%+v", r)
				}
				msg := r.Err.Error()
				if !strings.Contains(msg, "no persistent definition") || !strings.Contains(msg, "would delete it") || strings.Contains(msg, "--restart") {
					t.Errorf("message: %s", msg)
				}
				if n := s.Calls("Define") + s.Calls("Shutdown") + s.Calls("Destroy") + s.Calls("Start"); n != 0 {
					t.Errorf("%d changes to a transient guest", n)
				}
				if d, ok := s.Domain("t"); !ok || d.State != migratesetup.StateRunning {
					t.Errorf("the transient guest is gone or stopped (%v, %s)", ok, d.State)
				}
			})
		})
	}
}

func TestRestartHonoursTheContext(t *testing.T) {
	opts := hostinfo(t)
	opts.Restart = true
	synctest.Test(t, func(t *testing.T) {
		s := migratesetuptest.New(map[string]*migratesetuptest.Domain{"g": {XML: guestXML("g"), State: migratesetup.StateRunning, ShutdownDelay: -1}})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r := migratesetup.SetupGuest(ctx, s, "g", opts)
		if r.Outcome != migratesetup.Failed || !errors.Is(r.Err, context.DeadlineExceeded) || !errors.Is(r.Err, migratesetup.ErrNotRestarted) || s.Calls("Destroy") != 0 {
			t.Errorf("%+v", r)
		}
	})
}

// countingStore records how many InactiveXML calls run at once.
type countingStore struct {
	migratesetup.Store
	now, max atomic.Int32
	mu       sync.Mutex
}

func (c *countingStore) InactiveXML(ctx context.Context, d string) (string, error) {
	n := c.now.Add(1)
	defer c.now.Add(-1)
	c.mu.Lock()
	if n > c.max.Load() {
		c.max.Store(n)
	}
	c.mu.Unlock()
	time.Sleep(time.Second) // fake time inside synctest
	return c.Store.InactiveXML(ctx, d)
}

func TestParallelIsBounded(t *testing.T) {
	opts := hostinfo(t)
	opts.Parallel = 3
	states := map[string]migratesetup.State{}
	var names []string
	for i := range 20 {
		n := fmt.Sprintf("g%02d", i)
		states[n] = migratesetup.StateShutoff
		names = append(names, n)
	}
	synctest.Test(t, func(t *testing.T) {
		c := &countingStore{Store: fakeStore(states)}
		start := time.Now()
		rs := migratesetup.SetupGuests(context.Background(), c, names, opts)
		if c.max.Load() != 3 {
			t.Errorf("at most %d at once, want 3", c.max.Load())
		}
		if took := time.Since(start); took != 7*time.Second {
			t.Errorf("took %v, want 7s (20 guests, 3 at a time, 1s each)", took)
		}
		for i, r := range rs {
			if r.Domain != names[i] || r.Outcome != migratesetup.SetUp {
				t.Errorf("result %d: %s %s %v", i, r.Domain, r.Outcome, r.Err)
			}
		}
	})
}

func TestSetupGuestsHonourTheContext(t *testing.T) {
	opts := hostinfo(t)
	s := fakeStore(map[string]migratesetup.State{"a": migratesetup.StateShutoff, "b": migratesetup.StateShutoff})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, r := range migratesetup.SetupGuests(ctx, s, []string{"a", "b"}, opts) {
		if r.Outcome != migratesetup.Failed || !errors.Is(r.Err, context.Canceled) {
			t.Errorf("%+v", r)
		}
	}
	if s.Calls("Define") != 0 {
		t.Error("defined after the context ended")
	}
}

// The commands in hints are quoted where a domain name needs it.
func TestHintsQuoteTheName(t *testing.T) {
	opts := hostinfo(t)
	opts.Restart = true
	name := "it's a guest"
	s := migratesetuptest.New(map[string]*migratesetuptest.Domain{name: {XML: guestXML("x"), State: migratesetup.StatePaused}})
	r := migratesetup.SetupGuest(context.Background(), s, name, opts)
	if r.Err == nil || !strings.Contains(r.Err.Error(), `virsh resume 'it'\''s a guest'`) {
		t.Errorf("%v", r.Err)
	}
}
