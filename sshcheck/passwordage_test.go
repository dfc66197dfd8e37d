package sshcheck

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/sshdtest"
	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// testdata/chage holds what `LC_ALL=C chage -l` printed for real accounts
// on Debian 12 (shadow 4.13), made by testdata/chage/generate.sh on the
// day in testdata/chage/NOW.

func chageOutput(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "chage", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// chageNow is the day the outputs were made, at noon UTC.
func chageNow(t *testing.T) time.Time {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "chage", "NOW"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return d.Add(12 * time.Hour)
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestParsePasswordAge(t *testing.T) {
	for _, tc := range []struct {
		file string
		want PasswordAge
	}{
		{"never", PasswordAge{LastChange: day("2026-11-30"), MaxDays: 99999, WarnDays: 7}},
		{"nomax", PasswordAge{LastChange: day("2026-11-30"), MaxDays: -1, WarnDays: 7}},
		{"soon", PasswordAge{LastChange: day("2026-09-11"), Expires: day("2026-12-10"), MaxDays: 90, WarnDays: 7}},
		{"expired", PasswordAge{LastChange: day("2026-08-22"), Expires: day("2026-11-20"), Inactive: day("2026-12-20"), MaxDays: 90, WarnDays: 7}},
		{"mustchange", PasswordAge{MustChange: true, MaxDays: 99999, WarnDays: 7}},
		{"account", PasswordAge{LastChange: day("2026-11-30"), Expires: day("2027-01-29"), AccountExpires: day("2026-12-05"), MaxDays: 60, WarnDays: 7}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := ParsePasswordAge(chageOutput(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("ParsePasswordAge =\n%+v, want\n%+v", got, tc.want)
			}
		})
	}
}

func TestPasswordAgeCheck(t *testing.T) {
	now := chageNow(t)
	for _, tc := range []struct {
		file     string
		now      time.Time
		warnDays int
		state    AgeState
		days     int
		says     []string
	}{
		{"never", now, 0, AgeNeverExpires, 0, []string{"never expires"}},
		{"nomax", now, 0, AgeNeverExpires, 0, []string{"never expires"}},
		{"soon", now, 0, AgeExpiresSoon, 10, []string{"expires on 2026-12-10, in 10 days", "warning at 14 days"}},
		{"soon", now, 10, AgeExpiresSoon, 10, []string{"in 10 days"}},
		{"soon", now, 9, AgeOK, 10, []string{"expires on 2026-12-10, in 10 days"}},
		// shadow expires a password on its expiry day, counted in UTC:
		// 08:00 on the 10th in Tokyo is still the 9th in UTC.
		{"soon", time.Date(2026, 12, 10, 8, 0, 0, 0, time.FixedZone("JST", 9*3600)), 0, AgeExpiresSoon, 1, []string{"in 1 day "}},
		{"soon", time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC), 0, AgeExpired, 0, []string{"expired on 2026-12-10 (today)"}},
		{"expired", now, 0, AgeExpired, -10, []string{"expired on 2026-11-20 (10 days ago)", "the account locks 2026-12-20"}},
		{"expired", day("2026-12-21"), 0, AgeExpired, -31, []string{"is locked since 2026-12-20"}},
		{"mustchange", now, 0, AgeMustChange, 0, []string{"must be changed at the next login"}},
		{"account", now, 0, AgeAccountExpiresSoon, 5, []string{"the account admin expires on 2026-12-05, in 5 days"}},
		{"account", now, 4, AgeOK, 60, []string{"expires on 2027-01-29, in 60 days"}},
		{"account", day("2026-12-05"), 0, AgeAccountExpired, 0, []string{"the account admin expired on 2026-12-05 (today)"}},
	} {
		v := mustParse(t, tc.file).Check(tc.now, "admin", tc.warnDays)
		if v.State != tc.state || v.Days != tc.days {
			t.Errorf("%s at %v (warn %d): %v, %d days; want %v, %d", tc.file, tc.now, tc.warnDays, v.State, v.Days, tc.state, tc.days)
		}
		for _, s := range tc.says {
			if !strings.Contains(v.Message, s) {
				t.Errorf("%s at %v: message %q does not say %q", tc.file, tc.now, v.Message, s)
			}
		}
		if !strings.Contains(v.Message, "admin") {
			t.Errorf("%s: message %q does not name the user", tc.file, v.Message)
		}
	}
}

func mustParse(t *testing.T, file string) PasswordAge {
	t.Helper()
	a, err := ParsePasswordAge(chageOutput(t, file))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAgeStateLevels(t *testing.T) {
	for s, want := range map[AgeState]string{
		AgeNeverExpires: "", AgeOK: "", AgeExpiresSoon: "warn", AgeAccountExpiresSoon: "warn",
		AgeExpired: "fail", AgeMustChange: "fail", AgeAccountExpired: "fail",
	} {
		got := ""
		switch {
		case s.Warn() && s.Fail():
			got = "both"
		case s.Warn():
			got = "warn"
		case s.Fail():
			got = "fail"
		}
		if got != want {
			t.Errorf("%v: %q, want %q", s, got, want)
		}
	}
	if s := AgeState(99).String(); s != "AgeState(99)" {
		t.Errorf("String of an unknown state: %q", s)
	}
}

func TestParsePasswordAgeRefuses(t *testing.T) {
	soon := string(chageOutput(t, "soon"))
	for _, tc := range []struct {
		name, out, says string
	}{
		{"empty", "", `no "Last password change" line`},
		{"not chage", "sh: 1: chage: not found\n", `no "Last password change" line`},
		{"a localized date", strings.Replace(soon, "Dec 10, 2026", "Dez 10, 2026", 1), `Password expires: cannot read "Dez 10, 2026"`},
		{"an ISO date", strings.Replace(soon, "Dec 10, 2026", "2026-12-10", 1), "not a date in the C locale"},
		{"escape sequence", strings.Replace(soon, "Dec 10, 2026", "\x1b[31mDec", 1), `"\x1b[31mDec"`},
		{"bad number", strings.Replace(soon, ": 90", ": ninety", 1), "Maximum number of days between password change: cannot read"},
		{"must change as account expiry", strings.Replace(soon, "Account expires\t\t\t\t\t\t: never", "Account expires\t\t\t\t\t\t: password must be changed", 1), "Account expires: cannot read"},
		{"no account line", strings.Replace(soon, "Account expires", "Something else", 1), `no "Account expires" line`},
		// Without its line the expiry is unknown, not "never": a guest whose
		// chage prints no such line must not pass as never expiring.
		{"no password expires line", strings.Replace(soon, "Password expires\t\t\t\t\t: Dec 10, 2026\n", "", 1), `no "Password expires" line`},
	} {
		_, err := ParsePasswordAge([]byte(tc.out))
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.says)
		}
		if err != nil && strings.ContainsRune(err.Error(), 0x1b) {
			t.Errorf("%s: the error holds a raw escape", tc.name)
		}
	}
}

func TestReadPasswordAge(t *testing.T) {
	l := newLab(t, sshtest.Config{Users: map[string]sshtest.User{
		"root":  {Password: testPassword, Chage: string(chageOutput(t, "mustchange"))},
		"admin": {Password: testPassword, Sudo: sshtest.SudoNoPassword, Chage: string(chageOutput(t, "soon"))},
	}})
	l.know(t, l.srv.HostKeys()[0])
	p := l.prober(t, nil)
	for _, tc := range []struct {
		login, user string
		want        PasswordAge
		line        string
	}{
		{"admin", "admin", mustParse(t, "soon"), "LC_ALL=C sudo -n -- env 'LC_ALL=C' chage -l admin"},
		{"admin", "root", mustParse(t, "mustchange"), "LC_ALL=C sudo -n -- env 'LC_ALL=C' chage -l root"},
		{"root", "admin", mustParse(t, "soon"), "env 'LC_ALL=C' chage -l admin"},
	} {
		c, err := p.Dial(ctxT(t), target(tc.login))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadPasswordAge(ctxT(t), c, tc.user)
		c.Close()
		if err != nil || got != tc.want {
			t.Errorf("as %s, %s: %+v, %v; want %+v", tc.login, tc.user, got, err, tc.want)
		}
		cmds := l.srv.Commands()
		if last := cmds[len(cmds)-1].Line; last != tc.line {
			t.Errorf("as %s: ran %q, want %q", tc.login, last, tc.line)
		}
	}

	c, err := p.Dial(ctxT(t), target("admin"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = ReadPasswordAge(ctxT(t), c, "nobody")
	var e *Error
	if !errors.As(err, &e) || e.Kind != ErrCommandFailed || e.ExitStatus != 1 || !strings.Contains(e.Stderr, "does not exist") || e.Address == "" {
		t.Errorf("unknown user: %#v", err)
	}
	// The fake's chage, like the real one, keeps others' ageing from a
	// user without sudo, and shows a user their own.
	if _, stderr, status, err := c.runLine(ctxT(t), "chage -l root", Limits{}); err != nil || status != 1 || string(stderr) != "chage: Permission denied.\n" {
		t.Errorf("chage -l root without sudo: %d %q %v", status, stderr, err)
	}
	if out, _, status, err := c.runLine(ctxT(t), "chage -l admin", Limits{}); err != nil || status != 0 || string(out) != string(chageOutput(t, "soon")) {
		t.Errorf("chage -l of oneself without sudo: %d %q %v", status, out, err)
	}
	n := len(l.srv.Commands())
	for _, bad := range []string{"", "-l", "a b", "x:y", "a\nb"} {
		if _, err := ReadPasswordAge(ctxT(t), c, bad); err == nil || !strings.Contains(err.Error(), "not a user name") {
			t.Errorf("user %q: %v", bad, err)
		}
	}
	if len(l.srv.Commands()) != n {
		t.Error("a bad user name reached the guest")
	}
}

// Real accounts, real chage and sudo behind a real sshd: the guest user
// reads its own ageing and another account's through `sudo -n`.
func TestSSHDPasswordAge(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Config{})
	u := sshdtest.TestUsers(t)
	chage := testenv.LookPath(t, "chage", "passwd")
	today := time.Now().UTC()
	set := func(user string, args ...string) {
		t.Helper()
		if out, err := exec.Command(chage, append(args, user)...).CombinedOutput(); err != nil {
			t.Fatalf("chage %v %s: %v\n%s", args, user, err, out)
		}
	}
	set(u.NoPasswd, "-d", today.AddDate(0, 0, -80).Format(time.DateOnly), "-M", "90") // expires in 10 days
	set(u.None, "-d", "0")                                                            // must change
	set(u.Passwd, "-d", today.AddDate(0, 0, -100).Format(time.DateOnly), "-M", "90")  // expired 10 days ago
	set(u.TTY, "-M", "99999")                                                         // never

	kh := filepath.Join(t.TempDir(), "known_hosts")
	appendLine(t, kh, srv.KnownHostsLine("127.0.0.1", srv.Port, "ssh-ed25519"))
	c, err := realProber(t, kh, Strict).Dial(ctxT(t), localTarget(srv, u.NoPasswd, u.Password))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tc := range []struct {
		user  string
		state AgeState
		days  int
	}{
		{u.NoPasswd, AgeExpiresSoon, 10},
		{u.None, AgeMustChange, 0},
		{u.Passwd, AgeExpired, -10},
		{u.TTY, AgeNeverExpires, 0},
	} {
		a, err := ReadPasswordAge(ctxT(t), c, tc.user)
		if err != nil {
			t.Errorf("%s: %v", tc.user, err)
			continue
		}
		if v := a.Check(time.Now(), tc.user, 0); v.State != tc.state || v.Days != tc.days {
			t.Errorf("%s: %v, %d days (%s); want %v, %d", tc.user, v.State, v.Days, v.Message, tc.state, tc.days)
		}
	}
	_, err = ReadPasswordAge(ctxT(t), c, u.Prefix+"_missing")
	if !errors.Is(err, ErrCommandFailed) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing user: %v", err)
	}
}
