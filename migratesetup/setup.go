package migratesetup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/sfkvm/sfkvm/internal/jsonwire"
)

// Reasons SetupGuest refuses, for errors.Is. A refusal changes nothing.
var (
	// ErrNotShutOff: the domain is not shut off, and either --restart was
	// not asked for, or it is in a state that --restart does not handle
	// (paused, crashed, shutting down, ...: only a running guest is
	// restarted; a paused one cannot shut down by ACPI). libvirt would
	// accept the new definition for a running domain without a word, for
	// its next boot; sfkvm refuses instead.
	ErrNotShutOff = errors.New("domain is not shut off")
	// ErrTransient: the domain is transient (made with virsh create): it
	// has no persistent definition to edit, and shutting it down would
	// delete it. Refused always, --restart or not.
	ErrTransient = errors.New("domain is transient")
	// ErrHostInfoMissing: this host's information file is missing (run
	// Register first); the guest could not start with a disk whose file
	// is absent.
	ErrHostInfoMissing = errors.New("host information file is missing")
	// ErrHostInfoInvalid: this host's information file is there but does
	// not parse; the guest would read nonsense.
	ErrHostInfoInvalid = errors.New("host information file is not valid")
	// ErrShutdownTimeout: the guest did not shut down in time after the
	// ACPI request, and Force was not set.
	ErrShutdownTimeout = errors.New("guest did not shut down in time")
	// ErrNotRestarted: with Restart, the new definition was defined (it is
	// the guest's next boot), but stopping or starting the guest failed,
	// so the guest does not run it yet; the error says in which state the
	// guest was left and what to run.
	ErrNotRestarted = errors.New("the new definition is defined, but the guest was not restarted")
)

// Options tune SetupGuests and RemoveGuests. The zero value is the safe
// default: change only shut-off guests, never stop one.
type Options struct {
	// HostInfoPath is the host information file, DefaultPath when empty.
	HostInfoPath string
	// DryRun computes the change and its Diff and changes nothing.
	DryRun bool
	// Restart also handles a running guest: the new definition is defined
	// first (libvirt validates it and keeps it for the next boot), and
	// only then is the guest shut down (ACPI) and started again. A paused,
	// crashed or otherwise not running guest is refused all the same.
	Restart bool
	// Force turns the guest off (destroy) when it has not shut down after
	// ShutdownTimeout. Without it such a guest is refused and left running.
	Force bool
	// ShutdownTimeout bounds the wait for an ACPI shutdown; 3 minutes
	// when zero.
	ShutdownTimeout time.Duration
	// PollInterval is how often the state is read while waiting; 1 s
	// when zero.
	PollInterval time.Duration
	// Parallel bounds how many guests are worked on at once;
	// DefaultParallel when zero. The name is sshcheck's for the same knob.
	Parallel int
}

// DefaultParallel is how many guests SetupGuests and RemoveGuests work on
// at once when Options.Parallel is zero.
const DefaultParallel = 4

func (o Options) withDefaults() Options {
	if o.HostInfoPath == "" {
		o.HostInfoPath = DefaultPath
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 3 * time.Minute
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	return o
}

// Outcome is what happened to one guest.
type Outcome int

const (
	Failed       Outcome = iota // an error on the way; see Result.Err
	Refused                     // sfkvm would not change it; see Result.Err
	SetUp                       // the disk was added
	AlreadySetUp                // the disk was there already; nothing done
	Removed                     // the disk was removed
	NotSetUp                    // removal asked, the disk was not there; nothing done
	WouldChange                 // dry run: Result.Diff is the change
)

var outcomeNames = [...]string{"failed", "refused", "set up", "already set up", "removed", "not set up", "would change"}

func (o Outcome) String() string {
	if o >= 0 && int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "unknown outcome"
}

// MarshalText writes the outcome's name in JSON.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// OK reports whether the guest is as asked (or, for a dry run, could be).
func (o Outcome) OK() bool { return o != Failed && o != Refused }

// Result is what happened to one guest.
type Result struct {
	Domain  string
	Outcome Outcome
	// Target is the disk's target name (vdb, ...).
	Target string
	// State is the state the guest was found in.
	State State
	// Diff is the change as a unified diff with secrets redacted; set for
	// a dry run, also when the guest would be refused for its state.
	Diff string
	// Stopped is how sfkvm stopped the guest: "" (it did not), "shutdown"
	// (ACPI), or "destroyed" (forced off after the timeout).
	Stopped string
	// Started is true when sfkvm started the guest again.
	Started bool
	// Err says why the guest failed or was refused; it wraps the store's
	// error (a libvirt.Error keeps its code) or one of the Err values.
	Err error
}

// MarshalJSON writes Err as its message, with no HTML escaping.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain struct {
		Domain  string  `json:"domain"`
		Outcome Outcome `json:"outcome"`
		Target  string  `json:"target,omitempty"`
		State   State   `json:"state"`
		Diff    string  `json:"diff,omitempty"`
		Stopped string  `json:"stopped,omitempty"`
		Started bool    `json:"started,omitempty"`
		Error   string  `json:"error,omitempty"`
	}
	p := plain{r.Domain, r.Outcome, r.Target, r.State, r.Diff, r.Stopped, r.Started, ""}
	if r.Err != nil {
		p.Error = r.Err.Error()
	}
	return jsonwire.Marshal(p)
}

// SetupGuests sets up every named guest, at most opts.Parallel at once,
// and returns one result per distinct name, in the order given. It never
// stops at a failure.
func SetupGuests(ctx context.Context, s Store, domains []string, opts Options) []Result {
	return each(ctx, domains, opts, func(ctx context.Context, d string) Result { return SetupGuest(ctx, s, d, opts) })
}

// RemoveGuests undoes SetupGuests, the same way.
func RemoveGuests(ctx context.Context, s Store, domains []string, opts Options) []Result {
	return each(ctx, domains, opts, func(ctx context.Context, d string) Result { return RemoveGuest(ctx, s, d, opts) })
}

func each(ctx context.Context, domains []string, opts Options, do func(context.Context, string) Result) []Result {
	opts = opts.withDefaults()
	seen := map[string]bool{}
	var names []string
	for _, d := range domains {
		if !seen[d] {
			seen[d] = true
			names = append(names, d)
		}
	}
	results := make([]Result, len(names))
	sem := make(chan struct{}, opts.Parallel)
	var wg sync.WaitGroup
	for i, d := range names {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = do(ctx, d)
		})
	}
	wg.Wait()
	return results
}

// SetupGuest adds the host information disk to one guest's persistent
// definition (see AddHostInfoDisk), refusing while this host's
// information file is missing, when the domain is transient (ErrTransient,
// always), or when it is not shut off (ErrNotShutOff; with opts.Restart a
// running guest is handled: defined first, then shut down and started).
func SetupGuest(ctx context.Context, s Store, domain string, opts Options) Result {
	opts = opts.withDefaults()
	if err := ctx.Err(); err != nil {
		return Result{Domain: domain, Outcome: Failed, Err: err}
	}
	if err := checkHostInfo(ctx, opts.HostInfoPath); err != nil {
		return Result{Domain: domain, Outcome: Refused, Err: err}
	}
	return apply(ctx, s, domain, opts, func(x string) (Edit, error) { return AddHostInfoDisk(x, opts.HostInfoPath) }, SetUp, AlreadySetUp)
}

// RemoveGuest removes the host information disk from one guest's
// persistent definition, with the same rules as SetupGuest (except that
// the host information file may be missing).
func RemoveGuest(ctx context.Context, s Store, domain string, opts Options) Result {
	return apply(ctx, s, domain, opts.withDefaults(), RemoveHostInfoDisk, Removed, NotSetUp)
}

func apply(ctx context.Context, s Store, domain string, opts Options, edit func(string) (Edit, error), done, already Outcome) Result {
	r := Result{Domain: domain}
	fail := func(o Outcome, err error) Result {
		r.Outcome, r.Err = o, err
		return r
	}
	old, err := s.InactiveXML(ctx, domain)
	if err != nil {
		return fail(Failed, fmt.Errorf("reading the definition: %w", err))
	}
	persistent, err := s.Persistent(ctx, domain)
	if err != nil {
		return fail(Failed, fmt.Errorf("reading whether it is persistent: %w", err))
	}
	if r.State, err = s.State(ctx, domain); err != nil {
		return fail(Failed, fmt.Errorf("reading the state: %w", err))
	}
	if !persistent {
		// Before anything is done, and whatever the options: there is no
		// next-boot definition to change, and stopping it deletes it.
		return fail(Refused, fmt.Errorf("%w (it is %s): it has no persistent definition to edit, and shutting it down would delete it; "+
			"make it persistent first (virsh dumpxml %[3]s > %[4]s; virsh define %[4]s)", ErrTransient, r.State, shellQuote(domain), shellQuote(domain+".xml")))
	}
	e, err := edit(old)
	if err != nil {
		if errors.Is(err, ErrNotDomain) {
			return fail(Failed, err)
		}
		return fail(Refused, err)
	}
	r.Target = e.Target
	if !e.Changed {
		r.Outcome = already
		return r
	}
	restarting := r.State != StateShutoff // past the refusal below: running, with Restart
	if restarting {
		err = notShutOff(domain, r.State, opts.Restart)
	}
	if opts.DryRun {
		r.Diff = Diff(domain, old, e.XML)
		if err != nil {
			return fail(Refused, err)
		}
		r.Outcome = WouldChange
		return r
	}
	if err != nil {
		return fail(Refused, err)
	}
	// Shut off, or running with Restart (notShutOff refused the rest):
	// define first. libvirt takes a new persistent definition for a
	// running domain as its next boot, and validates it now, so a
	// definition libvirt refuses never costs the guest a restart.
	if err := s.Define(ctx, e.XML); err != nil {
		if restarting {
			return fail(Failed, fmt.Errorf("defining the new definition (the guest was left running, unchanged): %w", err))
		}
		return fail(Failed, fmt.Errorf("defining the new definition: %w", err))
	}
	if !restarting {
		r.Outcome = done
		return r
	}
	if r.Stopped, err = stop(ctx, s, domain, opts); err != nil {
		return fail(Failed, fmt.Errorf("%w: it did not shut down, so it runs the old definition until it boots again "+
			"(shut it down and start it: virsh shutdown %[2]s, then virsh start %[2]s; if it goes down by itself, start it): %[3]w",
			ErrNotRestarted, shellQuote(domain), err))
	}
	if err := s.Start(ctx, domain); err != nil {
		how := "shut down"
		if r.Stopped == "destroyed" {
			how = "forced off"
		}
		return fail(Failed, fmt.Errorf("%w: it was %s and is now off; starting it failed (start it with virsh start %s): %w", ErrNotRestarted, how, shellQuote(domain), err))
	}
	r.Started = true
	r.Outcome = done
	return r
}

// notShutOff is why a domain found in state st (not shut off) is refused:
// always, except a running one with restart.
func notShutOff(domain string, st State, restart bool) error {
	domain = shellQuote(domain)
	var hint string
	switch st {
	case StateRunning:
		if restart {
			return nil
		}
		hint = "shut it down first (shutdown -P now in the guest), or use --restart"
	case StatePaused:
		hint = "a paused guest cannot shut down by ACPI, so --restart does not handle it; resume it (virsh resume " + domain + ") or shut it off first"
	case StateCrashed:
		hint = "shut it off first (virsh destroy " + domain + "), then set it up"
	case StateShutdown:
		hint = "wait until it is shut off"
	case StatePMSuspended:
		hint = "a suspended guest cannot shut down by ACPI; wake it (virsh dompmwakeup " + domain + ") or shut it off first"
	default:
		hint = "only a shut-off guest, or a running one with --restart, is handled"
	}
	return fmt.Errorf("%w: it is %s; %s", ErrNotShutOff, st, hint)
}

// stop asks the guest to shut down and waits until it is off, destroying
// it after the timeout only when opts.Force. It returns how it stopped it.
func stop(ctx context.Context, s Store, domain string, opts Options) (string, error) {
	if err := s.Shutdown(ctx, domain); err != nil {
		return "", fmt.Errorf("asking it to shut down: %w", err)
	}
	deadline := time.NewTimer(opts.ShutdownTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(opts.PollInterval)
	defer tick.Stop()
	for {
		st, err := s.State(ctx, domain)
		if err != nil {
			return "", fmt.Errorf("waiting for it to shut down: %w", err)
		}
		if st == StateShutoff {
			return "shutdown", nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for it to shut down (asked by ACPI; it may still go down by itself): %w", ctx.Err())
		case <-deadline.C:
			if !opts.Force {
				return "", fmt.Errorf("%w: still %s %s after the ACPI request; it may still go down by itself (then start it), or use --force", ErrShutdownTimeout, st, opts.ShutdownTimeout)
			}
			if err := s.Destroy(ctx, domain); err != nil {
				return "", fmt.Errorf("forcing it off after %s: %w", opts.ShutdownTimeout, err)
			}
			return "destroyed", nil
		case <-tick.C:
		}
	}
}

// checkHostInfo refuses a host information file that is missing, not a
// regular file, or not valid.
func checkHostInfo(ctx context.Context, path string) error {
	fi, err := os.Stat(path)
	if err == nil && !fi.Mode().IsRegular() {
		err = errors.New("not a regular file")
	}
	if err != nil {
		return fmt.Errorf("%w: %s (%v); register this host first (sfkvm migratesetup -c)", ErrHostInfoMissing, path, err)
	}
	if _, err := ReadFile(ctx, path); err != nil {
		return fmt.Errorf("%w: %w; register this host again (sfkvm migratesetup -c)", ErrHostInfoInvalid, err)
	}
	return nil
}

// shellQuote quotes s for a command line shown to the user, when it needs
// it: a domain name may hold spaces or quotes.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._+:@%/-", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
