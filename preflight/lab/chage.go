package lab

import (
	"fmt"
	"time"
)

// chage is what `chage -l` prints on guest (C locale), or "" for the
// simulated guest's default (a password that never expires).
func (s *settings) chage(guest string, now time.Time) string {
	if guest != s.ageGuest {
		return ""
	}
	const layout = "Jan 02, 2006"
	last, expires := "password must be changed", "password must be changed"
	if !s.ageMust {
		exp := now.UTC().AddDate(0, 0, s.ageDays)
		last, expires = exp.AddDate(0, 0, -90).Format(layout), exp.Format(layout)
	}
	return fmt.Sprintf("Last password change\t\t\t\t\t: %s\n"+
		"Password expires\t\t\t\t\t: %s\n"+
		"Password inactive\t\t\t\t\t: never\n"+
		"Account expires\t\t\t\t\t\t: never\n"+
		"Minimum number of days between password change\t\t: 0\n"+
		"Maximum number of days between password change\t\t: 90\n"+
		"Number of days of warning before password expires\t: 7\n", last, expires)
}
