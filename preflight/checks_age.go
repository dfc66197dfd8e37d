package preflight

import (
	"context"
	"errors"

	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// checkPasswordAge: the guest user's password ageing (chage -l), so that
// an expiry is caught before the failover that needs the password.
func (p *pass) checkPasswordAge(ctx context.Context, c sshcheck.Runner, g kvmguests.Guest, r Result) Result {
	age, err := sshcheck.ReadPasswordAge(ctx, c, g.User)
	if err != nil {
		r.Status, r.Reason, r.Err = Fail, "cannot read the password's ageing: "+errorText(err), err
		r.Fix = "chage -l " + g.User + " must run as root on the guest (sudo -n for a non-root user)"
		var se *sshcheck.Error
		if errors.As(err, &se) && se.Hint != "" {
			r.Fix = se.Hint
		}
		return r
	}
	v := age.Check(p.cfg.Now(), g.User, p.cfg.PasswordWarnDays)
	r.Reason = v.Message
	switch {
	case v.State.Fail():
		r.Status, r.Fix = Fail, "sfkvm rotate --guests "+g.Name+" --hosts OTHER_HOSTS sets a new password on the guest and its token in kvmguests.conf on every host (by hand: passwd "+g.User+" on the guest, sfcipher -c, the token on every host)"
	case v.State.Warn():
		r.Status, r.Fix = Warn, "change it before it expires: sfkvm rotate --guests "+g.Name+" --hosts OTHER_HOSTS (a new password on the guest, its token in kvmguests.conf on every host)"
	default:
		r.Status = OK
	}
	return r
}
