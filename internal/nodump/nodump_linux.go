package nodump

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Protect sets RLIMIT_CORE to 0 and makes the process not dumpable. See
// the package documentation.
func Protect() error {
	// prlimit64, not setrlimit: systemd's @system-service allows it where
	// a unit denies @resources (dist/systemd does).
	if err := unix.Prlimit(0, unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0}, nil); err != nil {
		return fmt.Errorf("setting RLIMIT_CORE to 0: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl PR_SET_DUMPABLE 0: %w", err)
	}
	return nil
}
