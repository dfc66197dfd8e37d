package migrate_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migrate"
	"github.com/sfkvm/sfkvm/migrate/migratetest"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/migratesetuptest"
	"github.com/sfkvm/sfkvm/sshcheck"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

const (
	domain   = "guest11"
	password = "Guest-pw1"
)

// rig is a simulated site: two hosts (fake libvirts, each with its
// registration), a two-node guest cluster whose nodes are in-process SSH
// guests at documentation addresses, and the guest's disk backed by the
// file of the host it runs on, as QEMU's would be.
type rig struct {
	t        *testing.T
	cluster  *migratetest.Cluster
	stores   map[string]*migratesetuptest.Store
	infos    map[string]migratesetup.HostInfo
	guests   []kvmguests.Guest
	servers  map[string]*sshtest.Server
	prober   *sshcheck.Prober
	stateDir string
	// readsOld makes guest11's disk keep the old host's file after a
	// migration (a disk backed by the wrong file).
	readsOld atomic.Bool
	oldInfo  atomic.Value
	mu       sync.Mutex
	logins   map[string]int
}

func domainXML(name string) string {
	x := fmt.Sprintf(`<domain type='kvm'>
  <name>%s</name>
  <memory unit='KiB'>1048576</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <source file='/var/lib/libvirt/images/%s.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
  </devices>
</domain>
`, name, name)
	e, err := migratesetup.AddHostInfoDisk(x, migratesetup.DefaultPath)
	if err != nil {
		panic(err)
	}
	return e.XML
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{t: t, cluster: migratetest.New("cluster1", "cfguest11", "cfguest12"),
		stores: map[string]*migratesetuptest.Store{}, servers: map[string]*sshtest.Server{}, logins: map[string]int{},
		infos: map[string]migratesetup.HostInfo{
			"host1": {CFName: "cfhost1", IP: netip.MustParseAddr("192.0.2.1")},
			"host2": {CFName: "cfhost2", IP: netip.MustParseAddr("192.0.2.2")},
			"host3": {CFName: "cfhost3", IP: netip.MustParseAddr("192.0.2.3")},
		}}
	for _, h := range []string{"host1", "host2", "host3"} {
		r.stores[h] = migratesetuptest.New(nil)
	}
	for _, g := range []struct{ name, host string }{{"guest11", "host1"}, {"guest12", "host2"}} {
		x := domainXML(g.name)
		r.stores[g.host].Add(g.name, &migratesetuptest.Domain{XML: x, Live: x, State: migratesetup.StateRunning})
	}
	r.guests = []kvmguests.Guest{
		{Name: "guest11", HostCFName: "cfhost1", ClusterName: "cluster1", CFName: "cfguest11", IP: netip.MustParseAddr("192.0.2.11"), User: "root", Line: 1},
		{Name: "guest12", HostCFName: "cfhost2", ClusterName: "cluster1", CFName: "cfguest12", IP: netip.MustParseAddr("192.0.2.12"), User: "root", Line: 2},
		// Another cluster's node on host1: never logged in to.
		{Name: "other21", HostCFName: "cfhost1", ClusterName: "cluster2", CFName: "cfother21", IP: netip.MustParseAddr("192.0.2.21"), User: "root", Line: 3},
	}
	routes := sshtest.Routes{}
	var known strings.Builder
	for _, g := range r.guests[:2] {
		srv, err := sshtest.Start(sshtest.Config{
			Users:   map[string]sshtest.User{"root": {Password: password}},
			Handler: r.cluster.Handler(g.CFName, nil),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		r.servers[g.Name] = srv
		hp := g.IP.String() + ":22"
		routes[hp] = srv.Addr()
		known.WriteString(srv.KnownHostsLine(hp) + "\n")
	}
	// guest11's disk: the file of the host it runs on.
	r.cluster.Do("cfguest11", func(n *migratetest.Node) { n.Disk = r.disk })
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, []byte(known.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := sshcheck.New(sshcheck.Options{KnownHostsFiles: []string{kh}, GlobalKnownHostsFiles: []string{},
		DialContext: routes.DialContext, CommandTimeout: 2 * time.Second, HandshakeTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r.prober = p
	r.stateDir = filepath.Join(t.TempDir(), "migrate")
	return r
}

// runsOn returns the host whose libvirt runs the domain ("" none, "both").
func (r *rig) runsOn(name string) string {
	var on []string
	for _, h := range []string{"host1", "host2", "host3"} {
		if d, ok := r.stores[h].Domain(name); ok && d.State == migratesetup.StateRunning {
			on = append(on, h)
		}
	}
	return strings.Join(on, "+")
}

// disk is guest11's host information disk: its host's registration.
func (r *rig) disk() []byte {
	h := r.runsOn(domain)
	info, ok := r.infos[h]
	if prev, _ := r.oldInfo.Load().(migratesetup.HostInfo); r.readsOld.Load() && prev.CFName != "" {
		info = prev
	} else if ok {
		r.oldInfo.Store(info)
	}
	if !ok {
		return nil
	}
	b, err := info.Format()
	if err != nil {
		panic(err)
	}
	return b
}

func (r *rig) plan(from, to string) migrate.Plan {
	return migrate.Plan{
		Domain: domain, From: from, To: to, Guests: r.guests, StateDir: r.stateDir,
		Open: func(ctx context.Context, host string) (*migrate.Host, error) {
			s, ok := r.stores[host]
			if !ok {
				return nil, fmt.Errorf("no route to %s", host)
			}
			return &migrate.Host{Name: host, Store: s, Info: r.infos[host]}, nil
		},
		Login: func(ctx context.Context, g kvmguests.Guest) (migrate.Node, error) {
			r.mu.Lock()
			r.logins[g.Name]++
			r.mu.Unlock()
			return r.prober.Dial(ctx, sshcheck.Target{Name: g.Name, Address: g.IP.String(), User: g.User,
				Password: sshcheck.PasswordFunc(func(context.Context) ([]byte, error) { return []byte(password), nil })})
		},
		Settle: 3 * time.Second, RestoreTimeout: 10 * time.Second, Poll: 20 * time.Millisecond,
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// status returns the status of the report's first check with that id and
// target ("" when there is none).
func status(rep *migrate.Report, id, target string) migrate.Status {
	for _, c := range rep.Checks {
		if c.ID == id && c.Target == target {
			return c.Status
		}
	}
	return ""
}

func dump(t *testing.T, rep *migrate.Report) {
	t.Helper()
	var b strings.Builder
	rep.WriteText(&b)
	t.Log("\n" + b.String())
}

// untouched fails unless every node has its old cluster.config, CF's
// default timeout loaded and its facility running.
func (r *rig) untouched(t *testing.T) {
	t.Helper()
	for _, n := range []string{"cfguest11", "cfguest12"} {
		st := r.cluster.Node(n)
		if string(st.Config) != fmt.Sprintf(migratetest.InitialConfig, "cluster1") || st.Timeout != "10" || !st.Facility {
			t.Errorf("%s not as it was: config %q timeout %s facility %v", n, st.Config, st.Timeout, st.Facility)
		}
	}
}

// changedNothing fails if any node ran a command that changes it.
func (r *rig) changedNothing(t *testing.T) {
	t.Helper()
	for _, l := range r.cluster.Log() {
		for _, w := range []string{"sdtool -e", "sdtool -b", "cfset -r", ": write "} {
			if strings.Contains(l, w) {
				t.Errorf("a refused run changed a node: %s", l)
			}
		}
	}
}
