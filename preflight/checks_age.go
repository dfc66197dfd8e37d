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
		r.Status, r.Fix = Fail, "set a new password on "+g.Name+" (passwd "+g.User+"), make its token (sfcipher -c) and put it in kvmguests.conf on every host"
	case v.State.Warn():
		r.Status, r.Fix = Warn, "change the password before it expires: a new password on "+g.Name+", its token (sfcipher -c) in kvmguests.conf on every host"
	default:
		r.Status = OK
	}
	return r
}
