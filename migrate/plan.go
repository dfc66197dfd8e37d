package migrate

import (
	"context"
	"time"

	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/sdfacility"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// Host is one hypervisor as a migration sees it: its libvirt and its
// registration (what `sfkvm migratesetup -c` wrote there).
type Host struct {
	// Name is the host as the caller names it (--to, --hosts): only a
	// label in the report.
	Name string
	// Store is the host's libvirt. On the CLI, this host's is
	// rpcstore.Open and another's rpcstore.OpenDialer through
	// sshcheck.Client.DialUnix.
	Store migratesetup.Migrator
	// Info is the host's registration, read from its host information
	// file; InfoErr says why it could not be read (then the migration is
	// refused: the guest could not be shown to read it).
	Info    migratesetup.HostInfo
	InfoErr error
	// Close, when not nil, ends the connections behind Store.
	Close func()
}

// Node is one logged-in node of the guest's cluster: *sshcheck.Client is
// one (root, or the step 1.2 user through sudo -n).
type Node interface {
	Run(ctx context.Context, name string, args ...string) (stdout, stderr []byte, exitStatus int, err error)
	RunInput(ctx context.Context, stdin []byte, name string, args ...string) (stdout, stderr []byte, exitStatus int, err error)
	// Hold runs a command that keeps the cluster's lock on the node until
	// released or the connection ends (sshcheck.Client.Hold).
	Hold(ctx context.Context, ready string, name string, args ...string) (h *sshcheck.Held, stdout, stderr []byte, exitStatus int, err error)
	Close() error
}

// Plan is one migration: what moves where, and the hooks that reach the
// hosts and the guests. The CLI fills it from its flags; a test fills it
// with fakes (migratesetuptest's stores, sshtest guests).
type Plan struct {
	// Domain is the libvirt domain to move; From and To name the hosts
	// (handed to Open).
	Domain   string
	From, To string
	// Open returns a host's libvirt and registration. It is called once
	// per host per migration; Host.Close is called at the end.
	Open func(ctx context.Context, host string) (*Host, error)

	// Guests are kvmguests.conf's lines. The domain's line names its
	// cluster; every line of that cluster is a node that must log in and
	// be whole before, and (under Guard) is guarded.
	Guests []kvmguests.Guest
	// Login logs in to a guest of the cluster (sshcheck.Prober.Dial with
	// its password or token).
	Login func(ctx context.Context, g kvmguests.Guest) (Node, error)

	// Guard does the manual's before and after steps (F.3.1, the manual
	// form of sfkvmmigrate -p/-u) on every node: for clusters without the
	// host OS failover function. Without it the guests' shutdown facility
	// and timeout are left alone.
	Guard bool
	// GuardTimeout is the CF timeout set while guarded, in seconds (600,
	// the manual's, when 0).
	GuardTimeout int

	// Migrate bounds the migration (Timeout, NoProgress, MaxDowntime).
	Migrate migratesetup.MigrateOptions
	// Progress, when not nil, is told the job's figures about once a
	// second (the CLI prints them as virsh migrate --verbose does).
	Progress func(migratesetup.MigrateProgress)
	// Settle bounds the wait, after the migration, for the guest to read
	// its new host and the cluster to be whole again (DefaultSettle).
	Settle time.Duration
	// RestoreTimeout bounds the after steps, which run on a context of
	// their own (DefaultRestoreTimeout).
	RestoreTimeout time.Duration

	// HostInfo is the host information file's path, the same on every
	// host (migratesetup.DefaultPath when empty).
	HostInfo string
	// StateDir holds the lock of each cluster and the state that --recover
	// reads (DefaultStateDir when empty). It must be root's and closed to
	// others.
	StateDir string
	// Tools are the vendor tools' paths on the guests.
	Tools Tools
	// Poll is the interval of the waits (DefaultPoll when 0).
	Poll time.Duration
	// Log, when not nil, is told each step as it starts: "migrate" and
	// "migrated" frame libvirt's migration (no "migrated" when it fails).
	// With Guard, the restore's steps are told from another goroutine
	// while the migration ends, so Log must be safe for concurrent use.
	Log func(string)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Tools are the paths of the vendor tools and the CF configuration file
// on the guests.
type Tools struct {
	CFTool, SDTool, CFSet, ClusterConfig string
}

// Defaults.
const (
	DefaultStateDir       = "/var/lib/sfkvm/migrate"
	DefaultCFTool         = sdfacility.DefaultCFTool
	DefaultSDTool         = sdfacility.DefaultSDTool
	DefaultCFSet          = "/opt/SMAW/bin/cfset"
	DefaultClusterConfig  = "/etc/default/cluster.config"
	DefaultGuardTimeout   = 600
	DefaultSettle         = 2 * time.Minute
	DefaultRestoreTimeout = 3 * time.Minute
	DefaultPoll           = 250 * time.Millisecond
)

func (p Plan) withDefaults() Plan {
	if p.GuardTimeout == 0 {
		p.GuardTimeout = DefaultGuardTimeout
	}
	if p.Settle == 0 {
		p.Settle = DefaultSettle
	}
	if p.RestoreTimeout == 0 {
		p.RestoreTimeout = DefaultRestoreTimeout
	}
	if p.HostInfo == "" {
		p.HostInfo = migratesetup.DefaultPath
	}
	if p.StateDir == "" {
		p.StateDir = DefaultStateDir
	}
	if p.Tools.CFTool == "" {
		p.Tools.CFTool = sdfacility.DefaultCFTool
	}
	if p.Tools.SDTool == "" {
		p.Tools.SDTool = sdfacility.DefaultSDTool
	}
	if p.Tools.CFSet == "" {
		p.Tools.CFSet = DefaultCFSet
	}
	if p.Tools.ClusterConfig == "" {
		p.Tools.ClusterConfig = DefaultClusterConfig
	}
	if p.Poll == 0 {
		p.Poll = DefaultPoll
	}
	if p.Log == nil {
		p.Log = func(string) {}
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	return p
}

// cluster returns the domain's line and every line of its cluster.
func (p Plan) cluster() (self kvmguests.Guest, nodes []kvmguests.Guest, ok bool) {
	for _, g := range p.Guests {
		if g.Name == p.Domain {
			self, ok = g, true
		}
	}
	if !ok {
		return self, nil, false
	}
	for _, g := range p.Guests {
		if g.ClusterName == self.ClusterName {
			nodes = append(nodes, g)
		}
	}
	return self, nodes, true
}
