package enroll

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/rotate"
	"github.com/sfkvm/sfkvm/sshcheck"
)

const confText = "guest1 cfhost1 cluster1 cfguest1 10.0.0.1 root D0860AB04E1B8FA3\n" +
	"guest2 cfhost1 cluster1 cfguest2 10.0.0.2 pcllogin D0860AB04E1B8FA4\n"

func guest(name, cluster, cfname, ip, user string) kvmguests.Guest {
	return kvmguests.Guest{Name: name, HostCFName: "cfhost1", ClusterName: cluster, CFName: cfname, IP: netip.MustParseAddr(ip), User: user}
}

// A new line goes in only when no other line has its guest-name, its
// guest_IP, or its cluster and CF name; the same guest's line (same
// facts) is updated in place.
func TestPlaceRefusesDuplicates(t *testing.T) {
	for _, tc := range []struct {
		name    string
		g       kvmguests.Guest
		dup     bool
		inPlace bool
	}{
		{"a new guest", guest("guest3", "cluster1", "cfguest3", "10.0.0.3", "pcllogin"), false, false},
		{"the same guest again", guest("guest2", "cluster1", "cfguest2", "10.0.0.2", "pcllogin"), false, true},
		{"its name with other facts", guest("guest2", "cluster1", "cfguest9", "10.0.0.9", "pcllogin"), true, false},
		{"its address under another name", guest("guest9", "cluster1", "cfguest9", "10.0.0.2", "pcllogin"), true, false},
		{"its cluster and CF name", guest("guest9", "cluster1", "cfguest2", "10.0.0.9", "pcllogin"), true, false},
		{"its CF name in another cluster", guest("guest9", "cluster2", "cfguest2", "10.0.0.9", "pcllogin"), false, false},
		{"the same guest with another user", guest("guest2", "cluster1", "cfguest2", "10.0.0.2", "other"), true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Plan{Files: rotate.Plan{File: "/k.conf"}}
			_, same, err := p.place([]byte(confText), tc.g)
			if got := errors.Is(err, ErrDuplicate); got != tc.dup {
				t.Fatalf("duplicate: %v (%v), want %v", got, err, tc.dup)
			}
			if (same != nil) != tc.inPlace {
				t.Errorf("updated in place: %v, want %v", same != nil, tc.inPlace)
			}
		})
	}
}

// A file with errors is never written back.
func TestPlaceRefusesAFileWithErrors(t *testing.T) {
	p := Plan{Files: rotate.Plan{File: "/k.conf"}}
	_, _, err := p.place([]byte("guest1  cfhost1 cluster1 cfguest1 10.0.0.1 root D0860AB04E1B8FA3\n"), guest("g", "c", "n", "10.0.0.5", "root"))
	if err == nil {
		t.Fatal("a file with two spaces between fields was taken")
	}
}

// The plan's own rules, before any connection.
func TestPlanCheck(t *testing.T) {
	ok := Plan{Address: netip.MustParseAddr("10.0.0.5"), User: "pcllogin", Admin: Admin{Keys: sshcheck.DefaultKeys()},
		Encrypter: func(kvmguests.Guest) cipher.Encrypter { return nil }, Given: Facts{Domain: "g", HostCFName: "h"}}
	if err := ok.withDefaults().check(); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(*Plan){
		"no address":                func(p *Plan) { p.Address = netip.Addr{} },
		"a user with a dot":         func(p *Plan) { p.User = "pcl.login" },
		"a user with upper case":    func(p *Plan) { p.User = "PclLogin" },
		"no encrypter":              func(p *Plan) { p.Encrypter = nil },
		"no admin login":            func(p *Plan) { p.Admin = Admin{} },
		"no locator, no domain":     func(p *Plan) { p.Given.Domain = "" },
		"a relative sudo command":   func(p *Plan) { p.SudoCommands = []string{"ls"} },
		"a comma in a sudo command": func(p *Plan) { p.SudoCommands = []string{"/bin/ls a,b"} },
	} {
		p := ok
		edit(&p)
		if err := p.withDefaults().check(); !errors.Is(err, ErrPlan) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Unenroll removes a drop-in only as enroll wrote it: with ALL or a list
// of commands; one edited since (a rule added, changed, a line more) is
// someone's.
func TestEnrollsRule(t *testing.T) {
	for _, cmds := range [][]string{nil, {"/usr/bin/true"}, {"/bin/ls -l", "/usr/sbin/sdtool -s"}} {
		if r := SudoersRule("pcllogin", cmds); !enrollsRule("pcllogin", r) {
			t.Errorf("enroll's own rule %q is not recognised", r)
		}
	}
	r := SudoersRule("pcllogin", nil)
	for _, edited := range []string{
		r + "pcllogin ALL=(ALL) ALL\n",
		strings.Replace(r, "NOPASSWD: ALL", "NOPASSWD: ALL, !/bin/su", 1),
		strings.Replace(r, "NOPASSWD: ALL", "NOPASSWD: /bin/ls", 1) + "x",
		strings.Replace(r, "(root)", "(ALL)", 1),
		strings.TrimSuffix(r, "\n"),
		SudoersRule("other", nil),
		"# sfkvm enroll: PRIMECLUSTER's login user\n",
	} {
		if enrollsRule("pcllogin", edited) {
			t.Errorf("an edited drop-in passes as enroll's: %q", edited)
		}
	}
}
