package migratetest

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migrate"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/migratesetuptest"
	"github.com/sfkvm/sfkvm/sshcheck"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// Password is the root password of every simulated node.
const Password = "Guest-pw1"

// Site is a simulated site in one process: three hosts (host1, host2,
// host3: fake libvirts of migratesetuptest, each with its registration), a
// two-node guest cluster (cluster1: guest11 on host1, guest12 on host2)
// whose nodes are in-process SSH guests at documentation addresses
// (192.0.2.11, 192.0.2.12) routed to 127.0.0.1, and guest11's host
// information disk backed by the file of the host it runs on, as QEMU's
// would be. A third line of kvmguests.conf (other21, cluster2) has no
// server: it must never be logged in to.
type Site struct {
	Cluster *Cluster
	Stores  map[string]*migratesetuptest.Store
	Infos   map[string]migratesetup.HostInfo
	Guests  []kvmguests.Guest
	Servers map[string]*sshtest.Server
	Prober  *sshcheck.Prober
	// StateDir is a fresh folder for the locks and the guard's state.
	StateDir string
	// KnownHosts is a known_hosts file with the nodes' keys under their
	// addresses; Routes sends those addresses to the servers.
	KnownHosts string
	Routes     sshtest.Routes
	// ReadsOld makes guest11's disk keep the host it read before the
	// migration (a disk backed by the wrong file).
	ReadsOld atomic.Bool
	oldInfo  atomic.Value
	mu       sync.Mutex
	logins   map[string]int
}

// DomainXML is a domain definition with the host information disk.
func DomainXML(name string) string {
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

// NewSite starts the site in dir (a fresh folder: known_hosts, the state
// folder). Close stops its servers.
func NewSite(dir string) (*Site, error) {
	s := &Site{Cluster: New("cluster1", "cfguest11", "cfguest12"),
		Stores: map[string]*migratesetuptest.Store{}, Servers: map[string]*sshtest.Server{}, logins: map[string]int{},
		Infos: map[string]migratesetup.HostInfo{
			"host1": {CFName: "cfhost1", IP: netip.MustParseAddr("192.0.2.1")},
			"host2": {CFName: "cfhost2", IP: netip.MustParseAddr("192.0.2.2")},
			"host3": {CFName: "cfhost3", IP: netip.MustParseAddr("192.0.2.3")},
		},
		StateDir: filepath.Join(dir, "migrate"),
	}
	for _, h := range []string{"host1", "host2", "host3"} {
		s.Stores[h] = migratesetuptest.New(nil)
	}
	for _, g := range []struct{ name, host string }{{"guest11", "host1"}, {"guest12", "host2"}} {
		x := DomainXML(g.name)
		s.Stores[g.host].Add(g.name, &migratesetuptest.Domain{XML: x, Live: x, State: migratesetup.StateRunning})
	}
	s.Guests = []kvmguests.Guest{
		{Name: "guest11", HostCFName: "cfhost1", ClusterName: "cluster1", CFName: "cfguest11", IP: netip.MustParseAddr("192.0.2.11"), User: "root", Line: 1},
		{Name: "guest12", HostCFName: "cfhost2", ClusterName: "cluster1", CFName: "cfguest12", IP: netip.MustParseAddr("192.0.2.12"), User: "root", Line: 2},
		{Name: "other21", HostCFName: "cfhost1", ClusterName: "cluster2", CFName: "cfother21", IP: netip.MustParseAddr("192.0.2.21"), User: "root", Line: 3},
	}
	routes := sshtest.Routes{}
	s.Routes = routes
	var known strings.Builder
	for _, g := range s.Guests[:2] {
		srv, err := sshtest.Start(sshtest.Config{
			Users:   map[string]sshtest.User{"root": {Password: Password}},
			Handler: s.Cluster.Handler(g.CFName, nil),
		})
		if err != nil {
			s.Close()
			return nil, err
		}
		s.Servers[g.Name] = srv
		hp := g.IP.String() + ":22"
		routes[hp] = srv.Addr()
		known.WriteString(srv.KnownHostsLine(hp) + "\n")
	}
	s.Cluster.Do("cfguest11", func(n *Node) { n.Disk = s.disk })
	kh := filepath.Join(dir, "known_hosts")
	s.KnownHosts = kh
	if err := os.WriteFile(kh, []byte(known.String()), 0o600); err != nil {
		s.Close()
		return nil, err
	}
	p, err := sshcheck.New(sshcheck.Options{KnownHostsFiles: []string{kh}, GlobalKnownHostsFiles: []string{},
		DialContext: routes.DialContext, CommandTimeout: 2 * time.Second, HandshakeTimeout: 5 * time.Second})
	if err != nil {
		s.Close()
		return nil, err
	}
	s.Prober = p
	return s, nil
}

// Close stops the guests' servers.
func (s *Site) Close() {
	for _, srv := range s.Servers {
		srv.Close()
	}
}

// RunsOn returns the host whose libvirt runs the domain ("" none; several
// joined by "+").
func (s *Site) RunsOn(name string) string {
	var on []string
	for _, h := range []string{"host1", "host2", "host3"} {
		if d, ok := s.Stores[h].Domain(name); ok && d.State == migratesetup.StateRunning {
			on = append(on, h)
		}
	}
	return strings.Join(on, "+")
}

// disk is guest11's host information disk: its host's registration.
func (s *Site) disk() []byte {
	h := s.RunsOn("guest11")
	info, ok := s.Infos[h]
	if prev, _ := s.oldInfo.Load().(migratesetup.HostInfo); s.ReadsOld.Load() && prev.CFName != "" {
		info, ok = prev, true
	} else if ok {
		s.oldInfo.Store(info)
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

// Open is a Plan's Open on the site: a host's fake libvirt and
// registration; an unknown host is not reached.
func (s *Site) Open(ctx context.Context, host string) (*migrate.Host, error) {
	st, ok := s.Stores[host]
	if !ok {
		return nil, fmt.Errorf("no route to %s", host)
	}
	return &migrate.Host{Name: host, Store: st, Info: s.Infos[host]}, nil
}

// Login is a Plan's Login on the site: root with Password, through the
// site's prober.
func (s *Site) Login(ctx context.Context, g kvmguests.Guest) (migrate.Node, error) {
	s.mu.Lock()
	s.logins[g.Name]++
	s.mu.Unlock()
	return s.Prober.Dial(ctx, sshcheck.Target{Name: g.Name, Address: g.IP.String(), User: g.User,
		Password: sshcheck.PasswordFunc(func(context.Context) ([]byte, error) { return []byte(Password), nil })})
}

// Logins returns how often a guest was logged in to.
func (s *Site) Logins(guest string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins[guest]
}

// Plan is a plan to move guest11 from one host to another, with short
// bounds for tests.
func (s *Site) Plan(from, to string) migrate.Plan {
	return migrate.Plan{
		Domain: "guest11", From: from, To: to, Guests: s.Guests, StateDir: s.StateDir,
		Open: s.Open, Login: s.Login,
		Settle: 3 * time.Second, RestoreTimeout: 10 * time.Second, Poll: 20 * time.Millisecond,
	}
}
