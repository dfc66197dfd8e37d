package migjob_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/internal/migjob"
)

// A store runs its blocking migration call under Run, which aborts the
// job past the timeout; the error says why, with the last figures.
func ExampleRun() {
	abort := make(chan struct{})
	_, err := migjob.Run(context.Background(), migratesetup.MigrateOptions{Timeout: 50 * time.Millisecond}, migjob.Job{
		Migrate: func() error { <-abort; return errors.New("operation aborted: canceled by client") },
		Poll: func() (migratesetup.MigrateProgress, bool, error) {
			return migratesetup.MigrateProgress{DataTotal: 64 << 20, DataProcessed: 16 << 20, DataRemaining: 48 << 20}, true, nil
		},
		Abort:    func() error { close(abort); return nil },
		Interval: 10 * time.Millisecond,
	}, nil)
	fmt.Println(errors.Is(err, migratesetup.ErrMigrationTimeout))
	// Output: true
}
