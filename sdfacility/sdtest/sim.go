package sdtest

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"sync"

	"github.com/sfkvm/sfkvm/sdfacility"
)

// Sim is a simulated shutdown facility (and cftool) that runs in-process as
// an sdfacility.Runner. It answers commands whose base name is sdtool or
// cftool, whatever their folder; any other command is "not found". It is
// safe for concurrent use.
type Sim struct {
	mu sync.Mutex
	st *state
}

var _ sdfacility.Runner = (*Sim)(nil)

// New returns a simulation of cfg.
func New(cfg Config) *Sim {
	return &Sim{st: newState(cfg)}
}

// Run implements sdfacility.Runner. A hanging sdtool -b blocks until ctx
// ends and then returns ctx's error, as a killed command would.
func (s *Sim) Run(ctx context.Context, name string, args ...string) (stdout, stderr []byte, exitStatus int, err error) {
	s.mu.Lock()
	o := s.st.call(name, args)
	s.mu.Unlock()
	switch {
	case o.missing:
		return nil, nil, -1, fmt.Errorf("%w: %w", sdfacility.ErrToolMissing, &fs.PathError{Op: "exec", Path: name, Err: fs.ErrNotExist})
	case o.hang:
		<-ctx.Done()
		return nil, nil, -1, context.Cause(ctx)
	}
	return []byte(o.stdout), []byte(o.stderr), o.code, nil
}

// Calls returns every command received so far, such as "sdtool -s".
func (s *Sim) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.Calls)
}

// Running reports whether the simulated facility runs.
func (s *Sim) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Running
}
