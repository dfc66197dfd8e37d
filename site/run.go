package site

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sfkvm/sfkvm/internal/count"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// Defaults of the zero Config.
const (
	DefaultSFKVM       = "sfkvm" // found in root's PATH on the host
	DefaultParallel    = 16
	DefaultHostTimeout = 3 * time.Minute // preflight's own default bound is 2 minutes
	DefaultMaxReport   = 64 << 20        // stdout of one host's preflight
	DefaultKnownHosts  = "/root/.ssh/known_hosts"
)

// Why a host's preflight gave no usable report, for errors.Is on the
// error of its site.host row (HostError).
var (
	// ErrNotReport: stdout was not a JSON object.
	ErrNotReport = errors.New("not a JSON report")
	// ErrSchema: a JSON report of another schema than
	// preflight.Schema: another version of sfkvm on that host.
	ErrSchema = errors.New("report of an unknown schema")
	// ErrPreflight: sfkvm preflight ended with neither 0 nor 1 and no
	// report (not installed, a usage error, a refused key file).
	ErrPreflight = errors.New("sfkvm preflight did not run")
)

// errNotReached stands for what could not be read on a host that was not
// reached: its site.host row says why.
var errNotReached = errors.New("not reached (see its site.host row)")

// Config says which hosts make the site and how to reach them.
type Config struct {
	// Hosts are the cluster's hosts. A target without User logs in as
	// root; one without Keys and Password logs in by key
	// (sshcheck.DefaultKeys: ssh-agent, then root's id_rsa, id_ecdsa,
	// id_ed25519), as root logs in between cluster hosts.
	Hosts []sshcheck.Target
	// Prober logs in; nil means sshcheck.New with root's known_hosts,
	// strict, and a CommandTimeout of HostTimeout. A Prober given must
	// have a CommandTimeout long enough for a whole preflight run.
	Prober *sshcheck.Prober
	// SFKVM is the sfkvm program on the hosts; "" means DefaultSFKVM.
	SFKVM string
	// PreflightArgs are added after `preflight --format=json` (e.g.
	// "--key", "/etc/opt/sfkvm/key", or "--hosts", ...).
	PreflightArgs []string
	// File, HostInfo and KnownHosts are the paths on the hosts of
	// kvmguests.conf, the host information file and root's known_hosts;
	// "" means kvmguests.DefaultPath, migratesetup.DefaultPath and
	// DefaultKnownHosts.
	File, HostInfo, KnownHosts string
	// GuestPort is the guests' SSH port, under which known_hosts records
	// them; 0 means 22.
	GuestPort int
	// Parallel is how many hosts are worked on at once; 0 means
	// DefaultParallel. One hung host costs one HostTimeout, never more.
	Parallel int
	// HostTimeout bounds one host, login to last read; 0 means
	// DefaultHostTimeout.
	HostTimeout time.Duration
	// MaxReport caps the preflight report of one host; 0 means
	// DefaultMaxReport.
	MaxReport int64
	// Now is the clock of Started and Finished; nil means time.Now.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.SFKVM == "" {
		c.SFKVM = DefaultSFKVM
	}
	if c.File == "" {
		c.File = kvmguests.DefaultPath
	}
	if c.HostInfo == "" {
		c.HostInfo = migratesetup.DefaultPath
	}
	if c.KnownHosts == "" {
		c.KnownHosts = DefaultKnownHosts
	}
	if c.GuestPort == 0 {
		c.GuestPort = 22
	}
	if c.Parallel <= 0 {
		c.Parallel = DefaultParallel
	}
	if c.HostTimeout <= 0 {
		c.HostTimeout = DefaultHostTimeout
	}
	if c.MaxReport <= 0 {
		c.MaxReport = DefaultMaxReport
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// hostRun is what one host gave.
type hostRun struct {
	Host
	err       error // why the host gave no report (site.host FAIL)
	report    *hostReport
	confErr   error             // why its kvmguests.conf was not read
	guests    []kvmguests.Guest // parsed from conf
	info      migratesetup.HostInfo
	infoErr   error
	keys      map[string][]string // known_hosts name -> its keys ("type base64"), in file order
	keysErr   error
	knownName map[string]string // guest name -> known_hosts name

	setup      map[string][]Result // its guest.setup rows by guest (index)
	setupBlind bool                // a guest.setup row says its domains were not listed
	knows      map[string][]Result // its guest.knowshost rows by guest
}

// Run reaches every host at most Config.Parallel at once, runs preflight
// there and reads what the site checks need, and merges one report. A host
// that cannot be reached, or whose preflight gives no report, is a FAIL
// row of site.host; Run never stops early.
func Run(ctx context.Context, cfg Config) Report {
	cfg = cfg.withDefaults()
	rep := Report{Schema: Schema, Started: cfg.Now()}
	prober := cfg.Prober
	var proberErr error
	if prober == nil {
		prober, proberErr = sshcheck.New(sshcheck.Options{CommandTimeout: cfg.HostTimeout})
	}
	runs := make([]*hostRun, len(cfg.Hosts))
	sem := make(chan struct{}, cfg.Parallel)
	var wg sync.WaitGroup
	for i, t := range cfg.Hosts {
		if t.User == "" {
			t.User = "root"
		}
		if t.Keys == nil && t.Password == nil {
			t.Keys = sshcheck.DefaultKeys()
		}
		name := t.Name
		if name == "" {
			name = t.Address
		}
		h := &hostRun{Host: Host{Name: name, Address: t.HostPort()}}
		runs[i] = h
		if proberErr != nil {
			h.err = proberErr
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			start := time.Now()
			hctx, cancel := context.WithTimeout(ctx, cfg.HostTimeout)
			defer cancel()
			h.gather(hctx, cfg, prober, t)
			h.Seconds = time.Since(start).Seconds()
		})
	}
	wg.Wait()
	rep.Results = siteChecks(cfg, runs)
	for _, h := range runs {
		if h.err != nil {
			h.Status, h.Reason = preflight.Fail, h.err.Error()
		} else {
			h.Status = preflight.OK
			c := h.report.Counts
			h.Reason = fmt.Sprintf("preflight: %d OK, %d WARN, %d FAIL, %d SKIP", c.OK, c.Warn, c.Fail, c.Skip)
			h.Counts = &c
		}
		rep.Hosts = append(rep.Hosts, h.Host)
	}
	for _, h := range runs {
		if h.report != nil {
			rep.Results = append(rep.Results, h.report.Results...)
		}
	}
	if rep.Hosts == nil {
		rep.Hosts = []Host{}
	}
	if rep.Results == nil {
		rep.Results = []Result{}
	}
	rep.count()
	rep.Finished = cfg.Now()
	return rep
}

// gather logs in to one host and, on that one connection, runs its
// preflight and beside it reads its kvmguests.conf, its host information
// file and its known_hosts entries of the guests its copy lists.
//
// The reads run while the preflight does, each in a session of its own:
// done before it, they added about 0.3 s a host to the site's wall
// (bench/site.sh, shared: the reads' round trips and the matching of a
// thousand guests against a hashed known_hosts), which the preflight's
// second or two of logins to the guests now covers.
func (h *hostRun) gather(ctx context.Context, cfg Config, p *sshcheck.Prober, t sshcheck.Target) {
	c, err := p.Dial(ctx, t)
	if err != nil {
		h.err = err
		h.confErr, h.infoErr, h.keysErr = errNotReached, errNotReached, errNotReached
		return
	}
	defer c.Close()
	preflightDone := make(chan struct{})
	go func() {
		defer close(preflightDone)
		h.report, h.err = runPreflight(ctx, c, cfg, h.Name)
	}()
	h.read(ctx, c, cfg)
	<-preflightDone
	if h.err == nil {
		h.err = outOfTime(cfg, h.confErr, h.infoErr, h.keysErr)
	}
}

// outOfTime is the host's error when its preflight gave a report but the
// host's time ran out before the site's own reads were done: the host did
// not answer within Config.HostTimeout, whatever part was slow.
func outOfTime(cfg Config, errs ...error) error {
	for _, err := range errs {
		if errors.Is(err, context.DeadlineExceeded) {
			return &outOfTimeError{limit: cfg.HostTimeout, err: err}
		}
	}
	return nil
}

// outOfTimeError is outOfTime's: the site.host row's fix then says to
// give the host more time, not to run a preflight that did run.
type outOfTimeError struct {
	limit time.Duration
	err   error
}

func (e *outOfTimeError) Error() string {
	return fmt.Sprintf("its time (%v) ran out before its files were read: %v", e.limit, e.err)
}

func (e *outOfTimeError) Unwrap() error { return e.err }

// read reads the host's kvmguests.conf, host information file and the
// known_hosts entries of the guests its copy lists.
func (h *hostRun) read(ctx context.Context, c *sshcheck.Client, cfg Config) {

	// The file is kept only as its checksum and guests: up to 64 MiB a
	// host, and its password tokens have no business in memory longer.
	conf, confErr := catFile(ctx, c, cfg.File, kvmguests.MaxSize)
	h.confErr = confErr
	if confErr == nil {
		h.ConfSHA256 = sha(conf)
		parsed, _ := kvmguests.ParseBytes(conf, h.Name+":"+cfg.File, kvmguests.Options{SkipFileChecks: true, AllowSealed: true})
		if parsed != nil {
			h.guests = safeGuests(parsed.Guests())
		}
	}
	var info []byte
	info, h.infoErr = catFile(ctx, c, cfg.HostInfo, migratesetup.MaxFileSize)
	if h.infoErr == nil {
		h.HostInfoSHA256 = sha(info)
		h.info, h.infoErr = migratesetup.Parse(bytes.NewReader(info), h.Name+":"+cfg.HostInfo)
		if h.infoErr == nil {
			h.CFName, h.WeightLink = h.info.CFName, h.info.WeightLink()
		}
	}
	if h.confErr != nil {
		h.keysErr = fmt.Errorf("its kvmguests.conf was not read: %w", h.confErr)
	} else {
		h.keys, h.knownName, h.keysErr = knownKeys(ctx, c, cfg, h.guests)
	}
}

// runPreflight runs sfkvm preflight on the host and reads its report.
func runPreflight(ctx context.Context, c *sshcheck.Client, cfg Config, host string) (*hostReport, error) {
	args := append([]string{"preflight", "--format=json"}, cfg.PreflightArgs...)
	stdout, stderr, status, err := c.RunLimited(ctx, sshcheck.Limits{MaxStdout: cfg.MaxReport}, cfg.SFKVM, args...)
	if err != nil {
		return nil, err
	}
	hp, err := ReadPreflight(ctx, host, cfg.SFKVM, stdout, stderr, status)
	if err != nil {
		return nil, err
	}
	return &hostReport{Results: hp.Results, Counts: hp.Counts}, nil
}

// safeGuests escapes the texts of guests read from a host's copy of
// kvmguests.conf, as the texts of its report are (clean): the parser
// reports a name with ESC or a C1 byte but still returns its guest, and
// the names become targets and reasons of the site's rows, which reach
// terminals, JSON readers and the metrics' labels. Escaped the same way,
// a guest's name still matches the rows of the host's report about it.
func safeGuests(gs []kvmguests.Guest) []kvmguests.Guest {
	for i := range gs {
		g := &gs[i]
		g.Name, g.HostCFName = clean(g.Name, 300, false), clean(g.HostCFName, 300, false)
		g.ClusterName, g.CFName, g.User = clean(g.ClusterName, 300, false), clean(g.CFName, 300, false), clean(g.User, 300, false)
	}
	return gs
}

// catFile reads a file on the host with cat, at most limit bytes.
func catFile(ctx context.Context, c *sshcheck.Client, path string, limit int64) ([]byte, error) {
	stdout, stderr, status, err := c.RunLimited(ctx, sshcheck.Limits{MaxStdout: limit}, "cat", "--", path)
	if err != nil {
		return nil, err
	}
	if status != 0 {
		return nil, fmt.Errorf("cat %s exited %d: %s", path, status, sshcheck.QuoteRemote(stderr))
	}
	return stdout, nil
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// MaxKnownHosts caps root's known_hosts as read from a host: about
// 100,000 hashed lines, ten times a site's guests with three keys each. A
// larger file is not read (the site.guestkey rows say so): read whole, it
// sits in memory once per host at work.
const MaxKnownHosts = 16 << 20

// knownKeys reads root's known_hosts on the host once and finds in it the
// entries of the guests, as ssh-keygen -F would (see matchKnownHosts). One
// ssh-keygen -F per guest would start a thousand processes on each host,
// each reading the whole file: measured with bench/site.sh, that was most
// of the site's time.
func knownKeys(ctx context.Context, c *sshcheck.Client, cfg Config, guests []kvmguests.Guest) (map[string][]string, map[string]string, error) {
	names := map[string]string{}
	for _, g := range guests {
		names[g.Name] = sshcheck.Target{Address: g.IP.String(), Port: cfg.GuestPort}.KnownHostsName()
	}
	stdout, stderr, status, err := c.RunLimited(ctx, sshcheck.Limits{MaxStdout: MaxKnownHosts}, "cat", "--", cfg.KnownHosts)
	switch {
	case err != nil:
		return nil, names, err
	case status != 0 && bytes.Contains(stderr, []byte("No such file")):
		return map[string][]string{}, names, nil // no file: no guest known
	case status != 0:
		return nil, names, fmt.Errorf("cat %s exited %d: %s", cfg.KnownHosts, status, sshcheck.QuoteRemote(stderr))
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	keys, err := matchKnownHosts(ctx, stdout, want)
	if err != nil {
		return nil, names, fmt.Errorf("%s: %w", cfg.KnownHosts, err)
	}
	return keys, names, nil
}

// matchKnownHosts returns, for each name wanted, the keys of the
// known_hosts lines that name it ("type base64", with the marker before
// it when the line has one: "@revoked ssh-ed25519 AAAA..."), as ssh-keygen
// -F finds them: a plain name (compared without case), a hashed one
// (|1|salt|hash, HMAC-SHA1), or a pattern with * and ?, unless a !pattern
// of the same line excludes it.
//
// A hashed line has a salt of its own, so every name wanted is hashed for
// every hashed line: no index can spare that (sshcheck's spares only the
// HMAC's key setup, which this does once per line too). 40,000 guests and
// 4,000 hashed lines were a minute of CPU here, so the work stops when
// ctx ends: the host's timeout bounds it, as it bounds the reads.
func matchKnownHosts(ctx context.Context, data []byte, want map[string]bool) (map[string][]string, error) {
	keys := map[string][]string{}
	add := func(name, k string) {
		if !contains(keys[name], k) {
			keys[name] = append(keys[name], k)
		}
	}
	lines := strings.Split(string(data), "\n")
	for n, line := range lines {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("matching %s against %d lines stopped at line %d, at the host's timeout: %w", count.N(len(want), "guest", "guests"), len(lines), n+1, err)
		}
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		marker := ""
		if strings.HasPrefix(f[0], "@") {
			marker, f = f[0]+" ", f[1:]
		}
		if len(f) < 3 {
			continue
		}
		k := marker + f[1] + " " + f[2]
		var pos, neg []string
		for _, p := range strings.Split(f[0], ",") {
			if n, ok := strings.CutPrefix(p, "!"); ok {
				neg = append(neg, n)
			} else {
				pos = append(pos, p)
			}
		}
		for _, p := range pos {
			for _, name := range matching(p, want) {
				if !excluded(name, neg) {
					add(name, k)
				}
			}
		}
	}
	return keys, nil
}

// matching returns the names wanted that the pattern p matches.
func matching(p string, want map[string]bool) []string {
	switch {
	case strings.HasPrefix(p, "|1|"):
		parts := strings.Split(p[3:], "|")
		if len(parts) != 2 {
			return nil
		}
		salt, err1 := base64.StdEncoding.DecodeString(parts[0])
		sum, err2 := base64.StdEncoding.DecodeString(parts[1])
		if err1 != nil || err2 != nil {
			return nil
		}
		// Each line has its salt: the names wanted are hashed with it
		// until one matches (a hashed pattern is one name).
		m := hmac.New(sha1.New, salt)
		var buf [sha1.Size]byte
		for name := range want {
			m.Reset()
			m.Write([]byte(name))
			if hmac.Equal(m.Sum(buf[:0]), sum) {
				return []string{name}
			}
		}
		return nil
	case strings.ContainsAny(p, "*?"):
		var out []string
		for name := range want {
			if glob(strings.ToLower(p), name) {
				out = append(out, name)
			}
		}
		return out
	case want[strings.ToLower(p)]:
		return []string{strings.ToLower(p)}
	}
	return nil
}

func excluded(name string, neg []string) bool {
	for _, n := range neg {
		if n == name || glob(strings.ToLower(n), name) {
			return true
		}
	}
	return false
}

// glob matches OpenSSH's host patterns: * any run of characters, ? one.
func glob(p, s string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if glob(p[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			_, size := utf8.DecodeRuneInString(s)
			p, s = p[1:], s[size:]
		default:
			if s == "" || p[0] != s[0] {
				return false
			}
			p, s = p[1:], s[1:]
		}
	}
	return s == ""
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}
