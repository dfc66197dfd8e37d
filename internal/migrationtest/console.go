package migrationtest

import (
	"fmt"
	"strconv"
	"strings"
)

// Report is one line that the guest's /init prints on its console:
//
//	SFKVM n=42 boot=2f0c…-… direct=cfhostA held=cfhostA plain=cfhostA
//
// N counts the guest's readings since it booted and Boot is the kernel's
// boot id (/proc/sys/kernel/random/boot_id): a guest that rebooted prints
// another Boot and starts N again. Direct is what migratesetup.ReadGuest
// read (O_DIRECT), Held a plain read through a descriptor opened at boot
// and kept open ("closed" once the guest closed it), Plain a plain read
// that opens and closes the device each time. Each is the host CF node
// name read, or "error:" and a word.
type Report struct {
	N                   int
	Boot                string
	Direct, Held, Plain string
}

// ReportPrefix starts every report line.
const ReportPrefix = "SFKVM "

// String is the line, without its newline.
func (r Report) String() string {
	return fmt.Sprintf("%sn=%d boot=%s direct=%s held=%s plain=%s", ReportPrefix, r.N, r.Boot, r.Direct, r.Held, r.Plain)
}

// ParseReport parses a line that String wrote; ok is false for any other
// line (the kernel's messages, a line cut by the migration).
func ParseReport(line string) (r Report, ok bool) {
	line = strings.TrimRight(line, "\r\n")
	rest, found := strings.CutPrefix(line, ReportPrefix)
	if !found {
		return Report{}, false
	}
	seen := 0
	for _, f := range strings.Fields(rest) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || v == "" {
			return Report{}, false
		}
		switch k {
		case "n":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return Report{}, false
			}
			r.N = n
		case "boot":
			r.Boot = v
		case "direct":
			r.Direct = v
		case "held":
			r.Held = v
		case "plain":
			r.Plain = v
		default:
			return Report{}, false
		}
		seen++
	}
	return r, seen == 5
}
