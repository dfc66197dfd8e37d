package lab

import (
	"net/netip"
	"os"
	"strings"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// guestDisk answers, on guest, the command that reads the host information
// disk inside a guest (migratesetup.GuestReadCommand) the way the guest's
// disk would: with its host's registered file, read when asked (as QEMU
// reads the file behind the disk), once the guest has been set up and
// started; other commands go to next.
func (l *Lab) guestDisk(guest string, next sshtest.Handler) sshtest.Handler {
	read := "sh -c " + migratesetup.GuestReadCommand
	return func(c sshtest.Command) sshtest.Reply {
		if strings.Join(c.Args, " ") != read {
			return next(c)
		}
		if !c.Sudo && c.User != "root" {
			return sshtest.Reply{Stderr: "dd: failed to open '/dev/vdb': Permission denied\n", ExitStatus: 1}
		}
		if guest == l.set.notSetUp {
			return sshtest.Reply{Stderr: "sfkvm: no host information disk (no block device with the serial " + migratesetup.Serial + ")\n", ExitStatus: 66}
		}
		// The registration of the host it runs on: cfhost1's for the
		// guests here, cfhost2's for the others.
		file := l.HostInfo
		if g, err := l.guest(guest); err == nil && !g.Here {
			file = l.Host2Info
		}
		if guest == l.set.readsOther {
			info, err := migratesetup.HostInfo{CFName: Host2Name, IP: netip.MustParseAddr(Host2IP)}.Format()
			if err != nil {
				return sshtest.Reply{Stderr: err.Error() + "\n", ExitStatus: 1}
			}
			return sshtest.Reply{Stdout: string(info)}
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return sshtest.Reply{Stderr: "dd: failed to open '/dev/vdb': No such device or address\n", ExitStatus: 1}
		}
		if guest == l.set.readsWeight {
			if b, err = flipWeightLink(b, file); err != nil {
				return sshtest.Reply{Stderr: err.Error() + "\n", ExitStatus: 1}
			}
		}
		return sshtest.Reply{Stdout: string(b)}
	}
}

// flipWeightLink returns the host information b with the other weight link.
func flipWeightLink(b []byte, name string) ([]byte, error) {
	info, err := migratesetup.ParseDisk(b, name)
	if err != nil {
		return nil, err
	}
	info.NoWeightLink = !info.NoWeightLink
	return info.Format()
}
