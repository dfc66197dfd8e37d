package preflight_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/preflight/lab"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// TestHostProberKeepsTheHostsKeysApart: the other hosts are reached
// through Config.HostProber and its known_hosts, the guests through
// Prober: a host key missing from the hosts' file fails the comparisons
// with the other host, never a guest's login, and a full one passes.
func TestHostProberKeepsTheHostsKeysApart(t *testing.T) {
	l, err := lab.Start(context.Background(), t.TempDir(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	empty := filepath.Join(t.TempDir(), "hosts_known_hosts")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		files []string
		want  preflight.Status
	}{{"hosts' file lacks the host", []string{empty}, preflight.Fail}, {"hosts' file has it", []string{l.KnownHosts}, preflight.OK}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := l.Config()
			opts := l.ProberOptions(sshcheck.Strict)
			opts.KnownHostsFiles = tc.files
			if cfg.HostProber, err = sshcheck.New(opts); err != nil {
				t.Fatal(err)
			}
			rep := preflight.Run(t.Context(), cfg)
			rs := rep.Of(preflight.HostWeightLink.ID)
			if len(rs) != 1 || rs[0].Status != tc.want || (tc.want == preflight.Fail && !strings.Contains(rs[0].Reason, lab.Host2IP)) {
				t.Errorf("%s: %+v, want %s", preflight.HostWeightLink.ID, rs, tc.want)
			}
			for _, r := range rep.Of(preflight.GuestLogin.ID) {
				if r.Status != preflight.OK {
					t.Errorf("%s %s: %s %s: the guests' keys are not the hosts' file's business", r.Check, r.Target, r.Status, r.Reason)
				}
			}
		})
	}
}
