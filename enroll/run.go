package enroll

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/count"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/rotate"
	"github.com/sfkvm/sfkvm/sdfacility"
	"github.com/sfkvm/sfkvm/sshcheck"
	"golang.org/x/crypto/ssh"
)

// Errors of a run; test with errors.Is.
var (
	ErrPlan = errors.New("enroll: incomplete plan")
	// ErrKeyNotConfirmed: the guest's host key is not in this host's
	// known_hosts and nobody confirmed it (GuestKeyFingerprint,
	// ConfirmKey); the report shows its fingerprint.
	ErrKeyNotConfirmed = errors.New("the guest's host key is not known and was not confirmed")
	// ErrKeyChanged: a known_hosts holds another key for that address.
	ErrKeyChanged = errors.New("known_hosts holds another key for this address")
	// ErrDuplicate: the file already holds this guest-name, guest_IP or
	// (cluster, CF name) in another line.
	ErrDuplicate = errors.New("kvmguests.conf already holds this guest in another line")
	// ErrSudoersDiffers: the guest's drop-in for the user holds another
	// rule; it is never overwritten.
	ErrSudoersDiffers = errors.New("the guest's sudoers drop-in for this user holds another rule")
	// ErrVisudo: visudo -c refused the rule; nothing was put in place.
	ErrVisudo = errors.New("visudo refused the rule")
	// ErrGuestCommand: a command on the guest failed (useradd, chpasswd).
	ErrGuestCommand = errors.New("a command on the guest failed")
	// ErrNoDomain: no host's libvirt has a domain with the guest's UUID.
	ErrNoDomain = errors.New("no domain with the guest's UUID")
	// ErrNotInFile (Remove): the file holds no line for that guest.
	ErrNotInFile = errors.New("kvmguests.conf holds no line for this guest")
)

// Seams for tests: each runs at the start of its stage.
var (
	beforeGuest = func() {}
	beforeFile  = func() {}
)

// Run enrolls one guest. See the package documentation for the order and
// what each failure leaves.
func Run(ctx context.Context, p Plan) (rep Report) {
	start := time.Now()
	p = p.withDefaults()
	rep = Report{Command: "enroll", DryRun: p.DryRun, Address: p.Address.String(), User: p.User}
	defer func() {
		rep.Seconds = time.Since(start).Seconds()
		rep.redact(p.Password.Bytes())
	}()
	if err := p.check(); err != nil {
		rep.step("plan", Failed, "", err)
		return rep
	}
	if err := cipher.CheckPassword(p.Password.Bytes()); err != nil {
		rep.step("policy", Failed, "", err)
		return rep
	}
	rep.step("policy", OK, "the new password passes the policy of step 1.2", nil)
	rep.SudoersFile = sudoersFile(p.User)
	if p.User != "root" {
		rep.Sudoers = SudoersRule(p.User, p.SudoCommands)
	}

	// 1. The guest's host key: known here, or confirmed.
	key, tmpDir, err := p.guestKey(ctx, &rep)
	if tmpDir != "" {
		defer os.RemoveAll(tmpDir)
	}
	if err != nil {
		return rep
	}
	opts := p.SSH
	opts.KnownHostsFiles = []string{filepath.Join(tmpDir, "known_hosts")}
	opts.GlobalKnownHostsFiles = []string{}
	opts.HostKeyPolicy = sshcheck.Strict
	prober, err := sshcheck.New(opts)
	if err != nil {
		rep.step("login", Failed, "", err)
		return rep
	}

	// 2. The administrator's login.
	ac, err := prober.Dial(ctx, p.adminTarget())
	if err == nil {
		if err = ac.CheckSudo(ctx); err != nil {
			ac.Close()
		}
	}
	if err != nil {
		rep.step("login", Failed, "as "+p.Admin.User, cause(ctx, err))
		return rep
	}
	defer ac.Close()
	rep.step("login", OK, "as "+p.Admin.User+sudoNote(p.Admin.User), nil)

	// 3. The facts.
	pl, err := p.readFacts(ctx, ac, &rep)
	if err != nil {
		rep.step("facts", Failed, "", cause(ctx, err))
		return rep
	}
	g := kvmguests.Guest{Name: rep.Facts.Domain.Value, HostCFName: rep.Facts.HostCFName.Value,
		ClusterName: rep.Facts.ClusterName.Value, CFName: rep.Facts.CFName.Value, IP: p.Address, User: p.User}

	// 4. Every host's copy locked, identical, and the line checked.
	files, err := rotate.LockFiles(ctx, p.Files, "enroll")
	if err != nil {
		rep.step("lock", Failed, "kvmguests.conf on every host", err)
		return rep
	}
	defer func() { rep.Notes = append(rep.Notes, files.Release(ctx)...) }()
	cfg, existing, err := p.place(files.Data, g)
	if err != nil {
		rep.step("lock", Failed, "", err)
		return rep
	}
	detail := count.N(len(files.Hosts), "copy", "copies") + " identical, locked"
	if p.DryRun {
		detail = count.N(len(files.Hosts), "copy", "copies") + " identical, lockable"
	}
	rep.step("lock", OK, detail, nil)

	// 5. The guest: user, password, sudoers, proven by a login.
	beforeGuest()
	if err := ctx.Err(); err != nil {
		rep.step("guest", Failed, "interrupted before the guest changed; nothing changed", context.Cause(ctx))
		return rep
	}
	undo, ok := p.guestSteps(ctx, ac, prober, &rep)
	if !ok {
		return rep
	}

	// 6. The token: kept when the line holds one for this password.
	token, ok := p.token(ctx, g, existing, &rep)
	if !ok {
		undo()
		return rep
	}
	g.Password = kvmguests.Token(token)
	if existing != nil {
		*existing = g
	} else {
		cfg.Add(g)
	}
	rep.Line = lineText(g)

	// 7. Host keys both ways.
	if !p.keys(ctx, ac, key, &rep) {
		undo()
		return rep
	}

	// 8. Every host's file.
	beforeFile()
	data, err := kvmguests.Marshal(cfg, p.Files.File, p.Files.FileOptions)
	if err != nil {
		rep.step("file", Failed, "", err)
		undo()
		return rep
	}
	rep.Diff = kvmguests.Compare(kvmguests.Copy{Name: "kvmguests.conf (before)", Data: files.Data},
		kvmguests.Copy{Name: "kvmguests.conf (after)", Data: data}).Diff
	switch {
	case bytes.Equal(data, files.Data):
		rep.step("file", Already, "every host holds the line", nil)
	case p.DryRun:
		rep.step("file", Would, "write the line on "+count.N(len(files.Hosts), "host", "hosts"), nil)
	default:
		if err := ctx.Err(); err != nil {
			rep.step("file", Failed, "interrupted before any copy changed", context.Cause(ctx))
			undo()
			return rep
		}
		hosts, resume, err := files.Replace(ctx, data)
		if err != nil {
			rep.step("file", Failed, "this host's file was not replaced; no copy changed", err)
			undo()
			return rep
		}
		rep.Hosts, rep.Resume = hosts, resume
		if resume != "" {
			rep.step("file", Failed, "some hosts do not hold the line", errors.New("copies differ: finish with the command below"))
		} else {
			rep.step("file", Done, count.N(len(hosts), "copy", "copies")+" written and read back", nil)
		}
	}
	if rep.Err != nil {
		return rep
	}

	// 9. The domain's host information disk.
	p.disk(ctx, g, pl, &rep)
	// 10. Preflight for the guest's line, on this host and every other.
	p.preflight(ctx, g, &rep)
	return rep
}

func sudoNote(u string) string {
	if u == "root" {
		return ""
	}
	return ", sudo -n works"
}

// guestKey finds the guest's host key and makes a private known_hosts
// with it (in a new folder, returned) for this run's logins.
func (p Plan) guestKey(ctx context.Context, rep *Report) (ssh.PublicKey, string, error) {
	key, st, err := lookupKey(ctx, p.SSH.DialContext, p.hostport(), p.knownFiles())
	if err != nil {
		rep.step("guest-key", Failed, "", err)
		return nil, "", err
	}
	fp := ssh.FingerprintSHA256(key)
	rep.GuestKey = fp
	switch st {
	case keyChanged:
		err = fmt.Errorf("%w: the guest offers %s; find out why before anything else", ErrKeyChanged, fp)
		rep.step("guest-key", Failed, "", err)
		return nil, "", err
	case keyKnown:
		rep.step("guest-key", Already, key.Type()+" "+fp+" is in this host's known_hosts", nil)
	default:
		switch {
		case p.GuestKeyFingerprint != "" && p.GuestKeyFingerprint == fp:
			rep.step("guest-key", OK, key.Type()+" "+fp+" confirmed by the fingerprint given", nil)
		case p.GuestKeyFingerprint != "":
			err = fmt.Errorf("%w: the guest offers %s %s, not %s", ErrKeyNotConfirmed, key.Type(), fp, p.GuestKeyFingerprint)
			rep.step("guest-key", Failed, "", err)
			return nil, "", err
		case p.ConfirmKey != nil && p.ConfirmKey(ctx, p.hostport(), key.Type()+" "+fp):
			rep.step("guest-key", OK, key.Type()+" "+fp+" accepted at the terminal", nil)
		default:
			err = fmt.Errorf("%w: it offers %s %s; check it on the guest's console (ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub) and give it with --guest-key-fingerprint",
				ErrKeyNotConfirmed, key.Type(), fp, strings.TrimPrefix(key.Type(), "ssh-"))
			rep.step("guest-key", Failed, "", err)
			return nil, "", err
		}
	}
	dir, err := os.MkdirTemp("", "sfkvm-enroll-")
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "known_hosts"), []byte(knownHostsLine(p.hostport(), key)+"\n"), 0o600)
	}
	if err != nil {
		rep.step("guest-key", Failed, "", err)
		return nil, dir, err
	}
	return key, dir, nil
}

// knownHostKey is the key host t offers, for step 5: only one that this
// host's known_hosts (hostKeyFiles) holds for t; another key, or none
// known, is an error saying which.
func (p Plan) knownHostKey(ctx context.Context, t sshcheck.Target) (ssh.PublicKey, error) {
	hk, st, err := lookupKey(ctx, p.SSH.DialContext, t.HostPort(), p.hostKeyFiles())
	switch {
	case err != nil:
	case st == keyChanged:
		err = fmt.Errorf("%w: this host's known_hosts holds another key than %s offers", ErrKeyChanged, t.HostPort())
	case st == keyUnknown:
		err = fmt.Errorf("%s's key %s is not in this host's known_hosts: log in to it once from here first", t.HostPort(), ssh.FingerprintSHA256(hk))
	}
	return hk, err
}

// hostKeyFiles are the files that step 5 checks the hosts' keys against.
func (p Plan) hostKeyFiles() []string {
	if p.HostKeysFiles != nil {
		return p.HostKeysFiles
	}
	return p.knownFiles()
}

// knownFiles are this host's known_hosts files (user's first).
func (p Plan) knownFiles() []string {
	files := p.SSH.KnownHostsFiles
	if files == nil {
		if u, err := user.Current(); err == nil {
			files = []string{filepath.Join(u.HomeDir, ".ssh", "known_hosts")}
		}
	}
	global := p.SSH.GlobalKnownHostsFiles
	if global == nil {
		global = []string{sshcheck.GlobalKnownHosts}
	}
	return append(slices.Clone(files), global...)
}

var uuidRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
})

// readFacts reads the guest's cluster and CF node name, its UUID and,
// through the Locator, its domain and host; what Given holds wins.
func (p Plan) readFacts(ctx context.Context, ac *sshcheck.Client, rep *Report) (Placement, error) {
	f := &rep.Facts
	cf := sdfacility.CFTool{Runner: ac, Path: p.CFTool}
	if p.Given.ClusterName != "" {
		f.ClusterName = Fact{p.Given.ClusterName, "given"}
	} else {
		v, err := cf.ClusterName(ctx)
		if err != nil {
			return Placement{}, fmt.Errorf("the guest's cluster name (cftool -c; --cluster gives it): %w", err)
		}
		f.ClusterName = Fact{v, "cftool -c in the guest"}
	}
	if p.Given.CFName != "" {
		f.CFName = Fact{p.Given.CFName, "given"}
	} else {
		v, err := cf.LocalNodeName(ctx)
		if err != nil {
			return Placement{}, fmt.Errorf("the guest's CF node name (cftool -l; --cfname gives it): %w", err)
		}
		f.CFName = Fact{v, "cftool -l in the guest"}
	}
	var pl Placement
	if p.Given.Domain == "" || p.Given.HostCFName == "" {
		out, err := ac.Output(ctx, "cat", "--", p.UUIDFile)
		if err != nil {
			return pl, fmt.Errorf("the guest's SMBIOS UUID (%s; --domain and --host-cfname give the facts it finds): %w", p.UUIDFile, err)
		}
		uuid := strings.ToLower(strings.TrimSpace(string(out)))
		if !uuidRE().MatchString(uuid) {
			return pl, fmt.Errorf("%s holds %s, not a UUID", p.UUIDFile, quote(out))
		}
		rep.UUID = uuid
		if pl, err = p.Locator.Locate(ctx, uuid); err != nil {
			return pl, err
		}
		rep.Host = pl.Host
	}
	if p.Given.Domain != "" {
		f.Domain = Fact{p.Given.Domain, "given"}
	} else {
		f.Domain = Fact{pl.Domain, "libvirt domain with UUID " + rep.UUID + " on " + pl.Host}
	}
	switch {
	case p.Given.HostCFName != "":
		f.HostCFName = Fact{p.Given.HostCFName, "given"}
	case pl.HostCFName != "":
		f.HostCFName = Fact{pl.HostCFName, "registration of " + pl.Host + " (migratesetup -c)"}
	default:
		return pl, fmt.Errorf("the CF node name of %s, which runs %s, is not known: register it (sfkvm migratesetup -c) or give --host-cfname", pl.Host, pl.Domain)
	}
	return pl, nil
}

// place parses this host's file and finds where g goes: the existing line
// of the same guest (to be updated in place: same facts) or none (a new
// line). Another line with g's name, address or (cluster, CF name) is
// ErrDuplicate.
func (p Plan) place(data []byte, g kvmguests.Guest) (*kvmguests.Config, *kvmguests.Guest, error) {
	cfg := &kvmguests.Config{}
	if data != nil {
		var diags interface{ Err() error }
		cfg, diags = parse(data, p.Files)
		if err := diags.Err(); err != nil {
			return nil, nil, fmt.Errorf("this host's kvmguests.conf has errors; fix them first: %w", err)
		}
	}
	var same *kvmguests.Guest
	for _, l := range cfg.Lines {
		o := l.Guest
		if o == nil {
			continue
		}
		sameFacts := o.Name == g.Name && o.HostCFName == g.HostCFName && o.ClusterName == g.ClusterName &&
			o.CFName == g.CFName && o.IP == g.IP && o.User == g.User
		switch {
		case sameFacts:
			same = o
		case o.Name == g.Name, o.IP == g.IP, o.ClusterName == g.ClusterName && o.CFName == g.CFName:
			return nil, nil, fmt.Errorf("%w (line %d: %s); sfkvm unenroll removes it, or edit the file on every host", ErrDuplicate, o.Line, o.String())
		}
	}
	return cfg, same, nil
}

func parse(data []byte, fp rotate.Plan) (*kvmguests.Config, interface{ Err() error }) {
	name := fp.File
	if name == "" {
		name = kvmguests.DefaultPath
	}
	cfg, diags := kvmguests.ParseBytes(data, name, fp.FileOptions)
	return cfg, diags
}

// guestSteps makes the user, sets its password and puts the sudoers
// drop-in in place, then proves a login with the new password (and sudo
// -n). undo takes back what this run did on the guest (a user it made,
// a drop-in it put) should a later step fail before the file is written.
func (p Plan) guestSteps(ctx context.Context, ac *sshcheck.Client, prober *sshcheck.Prober, rep *Report) (undo func(), ok bool) {
	undo = func() {}
	u := p.User
	// What is there.
	exists := true
	if u != "root" {
		_, _, st, err := ac.Run(ctx, "id", "-u", "--", u)
		if err != nil {
			rep.step("user", Failed, "", cause(ctx, err))
			return undo, false
		}
		exists = st == 0
	}
	var cur []byte
	haveRule := false
	if u != "root" {
		out, stderr, st, err := ac.Run(ctx, "cat", "--", sudoersFile(u))
		switch {
		case err != nil:
			rep.step("sudoers", Failed, "", cause(ctx, err))
			return undo, false
		case st == 0:
			cur, haveRule = out, true
		case !bytes.Contains(stderr, []byte("No such file")):
			rep.step("sudoers", Failed, "", fmt.Errorf("reading %s: exit %d: %s", sudoersFile(u), st, quote(stderr)))
			return undo, false
		}
		if haveRule && string(cur) != rep.Sudoers {
			rep.step("sudoers", Failed, "", fmt.Errorf("%w: %s holds %s, not %q; remove it (sfkvm unenroll, or rm on the guest) or enroll with the same --sudo-commands; nothing was changed",
				ErrSudoersDiffers, sudoersFile(u), quote(cur), rep.Sudoers))
			return undo, false
		}
	}
	// Other rules that name the user are reported, left as they are: sudo
	// applies the last one that matches, so a later rule that asks for a
	// password makes the proof below fail (and the run undo itself).
	if u != "root" {
		out, _, _, err := ac.Run(ctx, "sh", "-c", otherRulesScript, "sh", u, sudoersFile(u))
		if err == nil && len(bytes.TrimSpace(out)) > 0 {
			files := strings.Fields(string(out))
			rep.Notes = append(rep.Notes, fmt.Sprintf("other sudoers rules name %s, left as they are (sudo applies the last that matches): %s", u, quote([]byte(strings.Join(files, " ")))))
		}
	}
	// A password that already works is not set again: a second run
	// changes nothing.
	pwWorks := false
	if exists {
		c, err := prober.Dial(ctx, sshcheck.Target{Name: "user", Address: p.Address.String(), Port: p.Port, User: u, Password: p.Password})
		if err == nil {
			pwWorks = true
			c.Close()
		}
	}
	if p.DryRun {
		if u != "root" {
			if exists {
				rep.step("user", Already, u+" exists", nil)
			} else {
				rep.step("user", Would, "useradd -m "+u, nil)
			}
			if haveRule {
				rep.step("sudoers", Already, sudoersFile(u)+" holds the rule", nil)
			} else {
				rep.step("sudoers", Would, "put "+sudoersFile(u)+" in place (0440 root, checked by visudo -cf)", nil)
			}
		}
		if pwWorks {
			rep.step("password", Already, "the new password logs in", nil)
		} else {
			rep.step("password", Would, "chpasswd (the password on stdin)", nil)
		}
		return undo, true
	}
	// The guest's changes run to their end once started, also when the
	// run is interrupted (a chpasswd cut off could leave the password
	// half set): each on a context of its own, bounded by CleanupTimeout.
	// The undo gets a fresh one when it runs.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.CleanupTimeout)
	defer cancel()
	madeUser, madeRule := false, false
	undo = func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.CleanupTimeout)
		defer cancel()
		ac := p.liveAdmin(cctx, ac, prober)
		if madeRule {
			if _, _, st, err := ac.Run(cctx, "rm", "-f", "--", sudoersFile(u)); err == nil && st == 0 {
				rep.step("sudoers", Undone, "removed "+sudoersFile(u)+" again", nil)
			} else {
				rep.Notes = append(rep.Notes, fmt.Sprintf("the guest keeps %s: remove it with sfkvm unenroll", sudoersFile(u)))
			}
		}
		if madeUser {
			if stderr, st, err := userdel(cctx, ac, u); err == nil && st == 0 {
				rep.step("user", Undone, "userdel -r "+u, nil)
			} else {
				rep.Notes = append(rep.Notes, fmt.Sprintf("the guest keeps the user %s (userdel: %v %s): sfkvm unenroll --remove-user removes it", u, err, quote(stderr)))
			}
		}
		if !pwWorks && exists && !madeUser {
			rep.Notes = append(rep.Notes, "the guest's user has the new password (its old one is not known to sfkvm)")
		}
	}
	fail := func(step string, err error) (func(), bool) {
		rep.step(step, Failed, "", cause(ctx, err))
		undo()
		return func() {}, false
	}
	if u != "root" {
		if exists {
			rep.step("user", Already, u+" exists", nil)
		} else {
			_, stderr, st, err := ac.Run(cctx, "useradd", "-m", "--", u)
			if err == nil && st != 0 {
				err = fmt.Errorf("%w: useradd -m %s: exit %d: %s", ErrGuestCommand, u, st, quote(stderr))
			}
			if err != nil {
				return fail("user", err)
			}
			madeUser = true
			rep.step("user", Done, "useradd -m "+u, nil)
		}
	}
	if pwWorks {
		rep.step("password", Already, "the new password logs in", nil)
	} else {
		if err := ctx.Err(); err != nil {
			return fail("password", context.Cause(ctx))
		}
		if err := chpasswd(cctx, ac, u, p.Password.Bytes()); err != nil {
			return fail("password", err)
		}
		rep.step("password", Done, "chpasswd (the password on stdin)", nil)
	}
	if u != "root" {
		if haveRule {
			rep.step("sudoers", Already, sudoersFile(u)+" holds the rule", nil)
		} else {
			if err := ctx.Err(); err != nil {
				return fail("sudoers", context.Cause(ctx))
			}
			if err := putSudoers(cctx, ac, u, rep.Sudoers); err != nil {
				return fail("sudoers", err)
			}
			madeRule = true
			rep.step("sudoers", Done, sudoersFile(u)+" (0440 root, visudo -cf, renamed into place)", nil)
		}
	}
	// The proof: the new password logs in, and sudo -n works.
	c, err := prober.Dial(ctx, sshcheck.Target{Name: "user", Address: p.Address.String(), Port: p.Port, User: u, Password: p.Password})
	if err == nil {
		err = c.CheckSudo(ctx)
		c.Close()
	}
	if err != nil {
		return fail("proof", err)
	}
	rep.step("proof", OK, "a new login as "+u+" with the new password"+sudoNote(u), nil)
	return undo, true
}

// otherRulesScript lists the sudoers files other than $2 with a line
// that starts with the user $1: `sh -c otherRulesScript sh USER OURS`.
const otherRulesScript = `u=$1 ours=$2
for f in /etc/sudoers /etc/sudoers.d/*; do
	[ -f "$f" ] && [ "$f" != "$ours" ] || continue
	case ${f##*/} in *.*|*~) [ "$f" = /etc/sudoers ] || continue;; esac
	grep -qE "^[[:space:]]*$u[[:space:],]" "$f" 2>/dev/null && echo "$f"
done
exit 0
`

// chpasswd sets user's password: "USER:PASSWORD" on chpasswd's stdin,
// never in argv.
func chpasswd(ctx context.Context, c *sshcheck.Client, user string, pw []byte) error {
	in := make([]byte, 0, len(user)+len(pw)+2)
	in = append(append(append(append(in, user...), ':'), pw...), '\n')
	defer clear(in)
	_, stderr, status, err := c.RunInput(ctx, in, "chpasswd")
	if err != nil {
		return err
	}
	if status != 0 {
		stderr = bytes.ReplaceAll(stderr, pw, []byte("<password>"))
		return fmt.Errorf("%w: chpasswd exit %d: %s", ErrGuestCommand, status, quote(stderr))
	}
	return nil
}

// sudoersScript puts a drop-in in place: `sh -c sudoersScript sh FILE`
// with the content on stdin. A temporary file in the same folder (a dot
// in its name: sudo's #includedir skips it), 0440 root, checked with
// visudo -cf, renamed over FILE, then the whole configuration checked
// with visudo -c; a whole configuration refused takes the new file back
// out. Exit 3: the temporary file; 4: visudo refused the rule (its
// words on stderr); 5: the whole configuration refused; 6: the rename.
const sudoersScript = `set -u
f=$1 d=$(dirname -- "$1")
umask 0337
t=$(mktemp "$d/.sfkvm.XXXXXX") || exit 3
trap 'rm -f "$t"' EXIT
cat > "$t" || exit 3
chown 0:0 "$t" && chmod 0440 "$t" || exit 3
visudo -cqf "$t" >&2 || { visudo -cf "$t" >&2; exit 4; }
mv -f -- "$t" "$f" || exit 6
sync -- "$d" 2>/dev/null || true
if ! visudo -cq >/dev/null 2>&1; then visudo -c >&2; rm -f -- "$f"; exit 5; fi
`

func putSudoers(ctx context.Context, ac *sshcheck.Client, u, content string) error {
	_, stderr, st, err := ac.RunInput(ctx, []byte(content), "sh", "-c", sudoersScript, "sh", sudoersFile(u))
	switch {
	case err != nil:
		return err
	case st == 4:
		return fmt.Errorf("%w: %s; nothing was put in place", ErrVisudo, quote(stderr))
	case st == 5:
		return fmt.Errorf("%w: the whole configuration is refused with it (%s); it was taken out again", ErrVisudo, quote(stderr))
	case st != 0:
		return fmt.Errorf("%w: putting %s in place: exit %d: %s", ErrGuestCommand, sudoersFile(u), st, quote(stderr))
	}
	return nil
}

// token keeps an existing line's token when it is one of this password,
// else makes a new one.
func (p Plan) token(ctx context.Context, g kvmguests.Guest, existing *kvmguests.Guest, rep *Report) (string, bool) {
	if existing != nil && p.OpenToken != nil {
		if s, err := p.OpenToken(*existing); err == nil {
			same := s.Equal(p.Password)
			s.Wipe()
			if same {
				rep.step("token", Already, "the line's token "+rotate.Fingerprint(existing.Password.Reveal())+" opens to the password", nil)
				return existing.Password.Reveal(), true
			}
		}
	}
	t, err := p.Encrypter(g).Encrypt(ctx, p.Password.Bytes())
	if err != nil {
		rep.step("token", Failed, "", cause(ctx, err))
		return "", false
	}
	if existing != nil && existing.Password.Reveal() == t {
		rep.step("token", Already, "the line holds the same token "+rotate.Fingerprint(t), nil)
		return t, true
	}
	st := Done
	if p.DryRun {
		st = Would
	}
	rep.step("token", st, "made "+rotate.Fingerprint(t), nil)
	return t, true
}

// keys puts the guest's key in every host's known_hosts and every host's
// key (GuestKnows) in the guest's root known_hosts.
func (p Plan) keys(ctx context.Context, ac *sshcheck.Client, key ssh.PublicKey, rep *Report) bool {
	var done, already, would []string
	var errs []string
	record := func(where, what string, err error) {
		switch {
		case err != nil:
			errs = append(errs, where+": "+err.Error())
		case what == "added":
			done = append(done, where)
		case what == "would":
			would = append(would, where)
		default:
			already = append(already, where)
		}
	}
	files := p.knownFiles()
	// This host: its first known_hosts file.
	what, err := runTrust(ctx, localRun, files[0], p.hostport(), key, p.DryRun)
	record(LocalHost, what, err)
	// Step 5's addresses, unless given: every host's registration, this
	// host's here, the others' on the connection that records the key.
	regs := map[string]registration{}
	fromRegs := len(p.GuestKnows) == 0
	if fromRegs {
		regs[LocalHost] = readRegistration(ctx, localRun, LocalHost, p.hostInfoPath())
	}
	// Every other host, as root.
	for _, h := range p.Files.Hosts {
		if err := ctx.Err(); err != nil {
			record(h.Name, "", context.Cause(ctx))
			continue
		}
		r, err := p.Files.Connect(ctx, h.Name)
		if err != nil {
			record(h.Name, "", err)
			continue
		}
		what, err := runTrust(ctx, r.RunInput, p.HostKnownHosts, p.hostport(), key, p.DryRun)
		if fromRegs && err == nil {
			regs[h.Name] = readRegistration(ctx, r.RunInput, h.Name, p.hostInfoPath())
		}
		r.Close()
		record(h.Name, what, err)
	}
	// Step 5: every host's key in the guest.
	guestKnows, missing := p.stepFive(regs, rep)
	for _, t := range guestKnows {
		hk, err := p.knownHostKey(ctx, t)
		where := "guest knows " + t.Name
		if err != nil {
			record(where, "", err)
			continue
		}
		what, err := runTrust(ctx, ac.RunInput, p.GuestKnownHosts, t.HostPort(), hk, p.DryRun)
		record(where, what, err)
	}
	var parts []string
	if len(done) > 0 {
		parts = append(parts, "added: "+strings.Join(done, ", "))
	}
	if len(would) > 0 {
		parts = append(parts, "would add: "+strings.Join(would, ", "))
	}
	if len(already) > 0 {
		parts = append(parts, "known: "+strings.Join(already, ", "))
	}
	detail := "the guest's key " + rep.GuestKey + " on the hosts; the hosts' keys in the guest's " + p.GuestKnownHosts + "; " + strings.Join(parts, "; ")
	switch {
	case len(errs) > 0:
		rep.step("keys", Failed, detail, errors.New(strings.Join(errs, "; ")))
		return false
	case len(done) > 0:
		rep.step("keys", Done, detail, nil)
	case len(would) > 0:
		rep.step("keys", Would, detail, nil)
	default:
		rep.step("keys", Already, detail, nil)
	}
	if len(missing) > 0 {
		rep.step("guest-knows", Left, stepFiveLeft(missing), nil)
	}
	return true
}

// liveAdminWait bounds liveAdmin's question to the old connection.
const liveAdminWait = 10 * time.Second

// adminTarget is how the administrator logs in to the guest.
func (p Plan) adminTarget() sshcheck.Target {
	return sshcheck.Target{Name: "admin", Address: p.Address.String(), Port: p.Port, User: p.Admin.User,
		Keys: p.Admin.Keys, Password: p.Admin.Password}
}

// liveAdmin returns ac when its connection still answers, else a fresh
// login of the administrator on ctx (the undo's own): an interrupt that
// cut a command short on ac closed its connection, and the undo must
// still take back the user and the drop-in. The fresh client is closed
// when ctx ends.
func (p Plan) liveAdmin(ctx context.Context, ac *sshcheck.Client, prober *sshcheck.Prober) *sshcheck.Client {
	// A wedged connection answers nothing: the question gets a bound of
	// its own, so that it cannot spend the whole undo's time.
	qctx, cancel := context.WithTimeout(ctx, liveAdminWait)
	_, _, _, err := ac.Run(qctx, "true")
	cancel()
	if err == nil {
		return ac
	}
	c, err := prober.Dial(ctx, p.adminTarget())
	if err != nil {
		return ac // the undo then names what the guest keeps
	}
	context.AfterFunc(ctx, func() { c.Close() })
	return c
}

// localRun runs a command on this host with stdin.
func localRun(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, []byte, int, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() >= 0 {
		return o.Bytes(), e.Bytes(), ee.ExitCode(), nil
	}
	return o.Bytes(), e.Bytes(), 0, err
}

// disk sets up the domain's host information disk where it runs, or says
// the command that does.
func (p Plan) disk(ctx context.Context, g kvmguests.Guest, pl Placement, rep *Report) {
	where := pl.Host
	if where == "" {
		where = "the host that runs " + g.Name
	}
	cmd := "sfkvm migratesetup -s " + g.Name + " --restart   (on " + where + ")"
	if pl.Store == nil || pl.Domain != g.Name {
		rep.step("disk", Left, "not reachable from here", nil)
		rep.Next = append(rep.Next, cmd)
		return
	}
	opts := p.Setup
	opts.DryRun, opts.Restart = p.DryRun, p.Restart
	res := migratesetup.SetupGuest(ctx, pl.Store, g.Name, opts)
	switch res.Outcome {
	case migratesetup.SetUp:
		rep.step("disk", Done, "the host information disk is in "+g.Name+"'s definition on "+where, nil)
	case migratesetup.AlreadySetUp:
		rep.step("disk", Already, g.Name+" has the host information disk", nil)
	case migratesetup.WouldChange:
		rep.step("disk", Would, "add the host information disk to "+g.Name+" on "+where, nil)
	case migratesetup.Refused:
		if errors.Is(res.Err, migratesetup.ErrTransient) {
			// Neither --restart nor migratesetup can give a transient
			// domain a disk for its next boot: it needs a definition.
			rep.step("disk", Left, "refused: "+g.Name+" is transient (no persistent definition); nothing was changed, it keeps running", res.Err)
			rep.Next = append(rep.Next, "virsh dumpxml "+g.Name+" > "+g.Name+".xml && virsh define "+g.Name+".xml   (on "+where+"), then "+cmd)
			return
		}
		fallthrough
	default:
		rep.step("disk", Left, res.Outcome.String(), res.Err)
		rep.Next = append(rep.Next, cmd)
	}
}

// cause returns ctx's cause when it has ended: an interrupt reads as
// itself.
func cause(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", context.Cause(ctx), err)
	}
	return err
}

// lineText is g's line with its token as a fingerprint.
func lineText(g kvmguests.Guest) string {
	return strings.Join([]string{g.Name, g.HostCFName, g.ClusterName, g.CFName, g.IP.String(), g.User,
		rotate.Fingerprint(g.Password.Reveal())}, " ")
}

// userdel removes user and its home (userdel -r). A login of the user
// that this run made (the proof) may still be ending on the guest:
// userdel refuses while the user has a process, so it is tried again for
// up to 15 s (5 s may not be enough on a busy machine); nothing of
// the user's is killed.
func userdel(ctx context.Context, ac *sshcheck.Client, user string) (stderr []byte, status int, err error) {
	for range 75 {
		_, stderr, status, err = ac.Run(ctx, "userdel", "-r", "--", user)
		if err != nil || status == 0 || !bytes.Contains(stderr, []byte("currently used by process")) {
			return stderr, status, err
		}
		select {
		case <-ctx.Done():
			return stderr, status, err
		case <-time.After(200 * time.Millisecond):
		}
	}
	return stderr, status, err
}
