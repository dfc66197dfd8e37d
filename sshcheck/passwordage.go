package sshcheck

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultWarnDays is how many days before a password expires
// PasswordAge.Check starts to warn, unless told otherwise.
const DefaultWarnDays = 14

// PasswordAge is a user's password ageing, as `chage -l` shows it. Dates
// are days in UTC (shadow counts whole days since 1970-01-01), at
// midnight UTC; a zero time means "never".
type PasswordAge struct {
	LastChange time.Time // zero when never set or when MustChange
	// MustChange: the password must be changed at the next login
	// (`chage -d 0`, or `passwd -e`); every login fails until it is.
	MustChange     bool
	Expires        time.Time // the day the password expires; zero: never
	Inactive       time.Time // the day the account locks after the password expired; zero: never
	AccountExpires time.Time // the day the account expires; zero: never
	MinDays        int       // minimum days between changes
	MaxDays        int       // maximum days between changes; -1 or 99999: no maximum
	WarnDays       int       // days of warning that the system itself gives
}

// chage's labels, as `LC_ALL=C chage -l` prints them.
const (
	chageLastChange = "Last password change"
	chageExpires    = "Password expires"
	chageInactive   = "Password inactive"
	chageAccount    = "Account expires"
	chageMin        = "Minimum number of days between password change"
	chageMax        = "Maximum number of days between password change"
	chageWarn       = "Number of days of warning before password expires"

	chageNever      = "never"
	chageMustChange = "password must be changed"
	chageDate       = "Jan 02, 2006" // strftime "%b %d, %Y" in the C locale
)

// ParsePasswordAge reads what `LC_ALL=C chage -l USER` prints. The dates
// must be in the C locale's format ("Dec 10, 2026"); a line it does not
// know is ignored, one it knows with a value it cannot read is an error,
// and so is output without the three lines it needs (last change,
// password expires, account expires). An error quotes the remote text
// (QuoteRemote).
func ParsePasswordAge(out []byte) (PasswordAge, error) {
	a := PasswordAge{MaxDays: -1, WarnDays: -1}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		label, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		label, value = strings.TrimSpace(label), strings.TrimSpace(value)
		bad := func(err error) (PasswordAge, error) {
			return PasswordAge{}, fmt.Errorf("chage -l: %s: cannot read %s: %v", label, QuoteRemote([]byte(value)), err)
		}
		var err error
		switch label {
		case chageLastChange:
			a.LastChange, a.MustChange, err = chageDay(value)
		case chageExpires:
			var must bool
			a.Expires, must, err = chageDay(value)
			a.MustChange = a.MustChange || must
		case chageInactive:
			var must bool
			a.Inactive, must, err = chageDay(value)
			a.MustChange = a.MustChange || must
		case chageAccount:
			a.AccountExpires, _, err = chageDay(value)
			if err == nil && value == chageMustChange {
				err = errors.New("not a date")
			}
		case chageMin:
			a.MinDays, err = strconv.Atoi(value)
		case chageMax:
			a.MaxDays, err = strconv.Atoi(value)
		case chageWarn:
			a.WarnDays, err = strconv.Atoi(value)
		default:
			continue
		}
		if err != nil {
			return bad(err)
		}
		seen[label] = true
	}
	for _, l := range []string{chageLastChange, chageExpires, chageAccount} {
		if !seen[l] {
			return PasswordAge{}, fmt.Errorf("chage -l: no %q line in %s", l, QuoteRemote(out))
		}
	}
	return a, nil
}

// chageDay reads one date of chage -l: a date, "never", or "password must
// be changed".
func chageDay(v string) (day time.Time, mustChange bool, err error) {
	switch v {
	case chageNever:
		return time.Time{}, false, nil
	case chageMustChange:
		return time.Time{}, true, nil
	}
	t, err := time.Parse(chageDate, v)
	if err != nil {
		return time.Time{}, false, errors.New("not a date in the C locale's format (\"Jan 02, 2006\")")
	}
	return t, false, nil
}

// ReadPasswordAge reads user's password ageing on the machine behind r (a
// *Client: as root, or through `sudo -n`) with `env LC_ALL=C chage -l
// USER`, so that the dates are in the C locale whatever the guest's
// language. It fails with an *Error of kind ErrCommandFailed when chage
// fails (no such user, chage missing, sudo refused), quoting its stderr.
func ReadPasswordAge(ctx context.Context, r Runner, user string) (PasswordAge, error) {
	if user == "" || strings.HasPrefix(user, "-") || strings.ContainsAny(user, " \t\n:/") {
		return PasswordAge{}, fmt.Errorf("sshcheck: %s is not a user name", QuoteRemote([]byte(user)))
	}
	args := []string{"LC_ALL=C", "chage", "-l", user}
	stdout, stderr, status, err := r.Run(ctx, "env", args...)
	if err != nil {
		return PasswordAge{}, err
	}
	if status != 0 {
		line, _ := QuoteCommand("env", args...)
		e := &Error{Kind: ErrCommandFailed, Stage: StagePasswordAge, Command: line, ExitStatus: status, Stderr: QuoteRemote(stderr)}
		if c, ok := r.(*Client); ok {
			e.Address = c.target.HostPort()
		}
		if status == 127 {
			e.Hint = "chage is missing on the guest: it comes with the shadow utilities (Debian: passwd, RHEL: shadow-utils)"
		}
		return PasswordAge{}, e
	}
	return ParsePasswordAge(stdout)
}

// AgeState classifies a password's ageing.
type AgeState int

const (
	// AgeNeverExpires: no expiry date (no maximum age), and the account
	// does not expire either.
	AgeNeverExpires AgeState = iota
	// AgeOK: the password (or account) expires, but not within the
	// warning window.
	AgeOK
	// AgeExpiresSoon (a warning): the password expires within the
	// warning window.
	AgeExpiresSoon
	// AgeAccountExpiresSoon (a warning): the account expires within the
	// warning window.
	AgeAccountExpiresSoon
	// AgeExpired (a failure): the password has expired; the login that
	// PRIMECLUSTER makes fails, as it cannot change the password.
	AgeExpired
	// AgeMustChange (a failure): the password must be changed at the next
	// login (chage -d 0).
	AgeMustChange
	// AgeAccountExpired (a failure): the account has expired.
	AgeAccountExpired
)

var ageStateNames = []string{"never expires", "ok", "expires soon", "account expires soon", "expired", "must be changed", "account expired"}

func (s AgeState) String() string {
	if s < 0 || int(s) >= len(ageStateNames) {
		return "AgeState(" + strconv.Itoa(int(s)) + ")"
	}
	return ageStateNames[s]
}

// Warn reports whether s calls for a warning (the password or the account
// expires within the window).
func (s AgeState) Warn() bool { return s == AgeExpiresSoon || s == AgeAccountExpiresSoon }

// Fail reports whether s is a failure: a login with the password fails
// now (expired, must be changed, account expired).
func (s AgeState) Fail() bool { return s >= AgeExpired }

// AgeVerdict is PasswordAge.Check's answer.
type AgeVerdict struct {
	State AgeState
	// Days until the date that decided State (the password's expiry, or
	// the account's): negative when it has passed, 0 when it is today
	// (expired already: shadow expires a password on that day). 0 for
	// AgeNeverExpires and AgeMustChange.
	Days int
	// Message says it in a sentence for an administrator, naming the
	// dates (YYYY-MM-DD) and what to do.
	Message string
}

// Check classifies the ageing as of now for user (named in the message):
// must change or expired (the password or the account) is a failure;
// expiring within warnDays days (<= 0 means DefaultWarnDays) is a
// warning; otherwise OK, or never expires. Days count in UTC, as shadow
// does: a password whose expiry day is today has expired.
func (a PasswordAge) Check(now time.Time, user string, warnDays int) AgeVerdict {
	if warnDays <= 0 {
		warnDays = DefaultWarnDays
	}
	u := escapeText(user, 64) // from kvmguests.conf, not remote, but not trusted either
	today := now.UTC().Truncate(24 * time.Hour)
	days := func(t time.Time) int { return int(t.Sub(today).Round(time.Hour).Hours() / 24) }
	date := func(t time.Time) string { return t.Format(time.DateOnly) }
	const renew = "set a new password on the guest and its token in kvmguests.conf on every host"
	switch {
	case a.MustChange:
		return AgeVerdict{State: AgeMustChange, Message: fmt.Sprintf(
			"the password of %s must be changed at the next login (chage -d 0): every login with it fails until it is; %s", u, renew)}
	case !a.Expires.IsZero() && days(a.Expires) <= 0:
		d := days(a.Expires)
		msg := fmt.Sprintf("the password of %s expired on %s (%s): logins with it fail; %s", u, date(a.Expires), ago(-d), renew)
		if !a.Inactive.IsZero() {
			verb := "locks"
			if days(a.Inactive) <= 0 {
				verb = "is locked since"
			}
			msg += fmt.Sprintf("; the account %s %s", verb, date(a.Inactive))
		}
		return AgeVerdict{State: AgeExpired, Days: d, Message: msg}
	case !a.AccountExpires.IsZero() && days(a.AccountExpires) <= 0:
		d := days(a.AccountExpires)
		return AgeVerdict{State: AgeAccountExpired, Days: d, Message: fmt.Sprintf(
			"the account %s expired on %s (%s): every login fails; extend it with chage -E on the guest", u, date(a.AccountExpires), ago(-d))}
	case !a.Expires.IsZero() && days(a.Expires) <= warnDays:
		d := days(a.Expires)
		return AgeVerdict{State: AgeExpiresSoon, Days: d, Message: fmt.Sprintf(
			"the password of %s expires on %s, in %s (warning at %d days or less): %s before then", u, date(a.Expires), dayCount(d), warnDays, renew)}
	case !a.AccountExpires.IsZero() && days(a.AccountExpires) <= warnDays:
		d := days(a.AccountExpires)
		return AgeVerdict{State: AgeAccountExpiresSoon, Days: d, Message: fmt.Sprintf(
			"the account %s expires on %s, in %s (warning at %d days or less): extend it with chage -E on the guest", u, date(a.AccountExpires), dayCount(d), warnDays)}
	case !a.Expires.IsZero():
		d := days(a.Expires)
		return AgeVerdict{State: AgeOK, Days: d, Message: fmt.Sprintf("the password of %s expires on %s, in %s", u, date(a.Expires), dayCount(d))}
	case !a.AccountExpires.IsZero():
		d := days(a.AccountExpires)
		return AgeVerdict{State: AgeOK, Days: d, Message: fmt.Sprintf("the password of %s never expires; the account expires on %s, in %s", u, date(a.AccountExpires), dayCount(d))}
	}
	return AgeVerdict{State: AgeNeverExpires, Message: fmt.Sprintf("the password of %s never expires", u)}
}

func dayCount(d int) string {
	if d == 1 {
		return "1 day"
	}
	return strconv.Itoa(d) + " days"
}

func ago(d int) string {
	if d == 0 {
		return "today"
	}
	return dayCount(d) + " ago"
}
