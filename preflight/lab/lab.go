package lab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/migratesetuptest"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/sdfacility/sdtest"
	"github.com/sfkvm/sfkvm/sshcheck"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// The lab's names and documentation addresses (RFC 5737).
const (
	HostIP    = "192.0.2.1" // this host, cfhost1
	Host2IP   = "192.0.2.2" // the other host, cfhost2
	HostName  = "cfhost1"
	Host2Name = "cfhost2"
	CFTool    = "/opt/SMAW/bin/cftool" // where the lab's cftool answers, here and on the guests
	SDTool    = "/opt/SMAW/bin/sdtool"
)

// HandshakeTimeout bounds banner, key exchange and login in the lab; a
// SlowAuth guest takes longer than that to answer the password.
const HandshakeTimeout = 1 * time.Second

// Guest is one of the lab's guests.
type Guest struct {
	kvmguests.Guest        // its line in the lab's kvmguests.conf
	Password        string // its user's password (the token seals it)
	Here            bool   // runs on this host (cfhost1)
	Server          *sshtest.Server

	config sshtest.Config
}

// Lab is a small cluster in one process. Build it with New, then Prepare
// it; Close stops it.
type Lab struct {
	Dir        string // the folder it was built in; left to its owner
	File       string // its kvmguests.conf, with sfkvm sealed tokens
	KnownHosts string // this host's known_hosts (filled by Prepare)
	HostInfo   string // this host's information file (written by Prepare)

	Key    *cipher.Key // opens the file's tokens
	Guests []*Guest    // the manual's four guests, in file order
	// Host1 is this host and Host2 the other, each an SSH server where
	// root logs in with Host2Password (on both hosts) and reads its files
	// and, with WithPreflight, runs sfkvm preflight (see hosts.go).
	Host1, Host2  *sshtest.Server
	Host2Password []byte
	// Host2File and Host2Info are the other host's kvmguests.conf and
	// registration, in the lab's folder (cfhost2/); Host2Store is its
	// libvirt, always in memory, with guest12 and guest22.
	Host2File, Host2Info string
	Host2Store           migratesetup.Store
	// Routes send the documentation addresses to the servers; a
	// prober's DialContext.
	Routes sshtest.Routes
	// Facility is the simulated shutdown facility and cftool of this host.
	Facility *sdtest.Sim
	// Store is this host's libvirt: the test driver (WithLibvirt) or an
	// in-memory store; StoreName says which.
	Store     migratesetup.Store
	StoreName string

	set     settings
	ctx     context.Context // ends when the lab closes: the host servers' preflight runs
	stop    context.CancelFunc
	closers []func()
	confSum string // the file's SHA-256 as Prepare left it
}

// guestSpecs is the manual's example, corrected, at documentation
// addresses; the guests of cfhost1 run here.
var guestSpecs = []struct{ name, host, cluster, node, ip, user string }{
	{"guest11", HostName, "cluster1", "cfguest11", "192.0.2.11", "user1"},
	{"guest12", Host2Name, "cluster1", "cfguest12", "192.0.2.12", "user2"},
	{"guest21", HostName, "cluster2", "cfguest21", "192.0.2.21", "user3"},
	{"guest22", Host2Name, "cluster2", "cfguest22", "192.0.2.22", "user4"},
}

// New builds the lab in dir, with the faults that opts name. Close it to
// stop every server; the folder stays with its owner.
func New(dir string, opts ...Option) (l *Lab, err error) {
	l = &Lab{
		Dir: dir, File: filepath.Join(dir, "kvmguests.conf"), KnownHosts: filepath.Join(dir, "known_hosts"),
		HostInfo: filepath.Join(dir, "hostinfo"), Routes: sshtest.Routes{},
		Host2File: filepath.Join(dir, Host2Name, "kvmguests.conf"), Host2Info: filepath.Join(dir, Host2Name, "hostinfo"),
	}
	for _, o := range opts {
		o(&l.set)
	}
	f := l.set
	l.ctx, l.stop = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			l.Close()
		}
	}()
	if l.Key, err = cipher.NewKey(); err != nil {
		return nil, err
	}
	var cfg kvmguests.Config
	for i, s := range guestSpecs {
		lg := &Guest{Here: s.host == HostName, Password: fmt.Sprintf("demo-%d-%s", i+1, randomWord())}
		ip := netip.MustParseAddr(s.ip)
		token, err := l.Key.Seal(cipher.SecretFromString(lg.Password), cipher.GuestContext{Name: s.name, IP: ip, User: s.user})
		if err != nil {
			return nil, err
		}
		if s.name == f.vendorToken {
			token = "D0860AB04E1B8FA3"
		}
		if s.name == f.movedToken && i > 0 {
			token = l.Guests[i-1].Guest.Password.Reveal()
		}
		lg.Guest = kvmguests.Guest{Name: s.name, HostCFName: s.host, ClusterName: s.cluster, CFName: s.node,
			IP: ip, User: s.user, Password: kvmguests.Token(token)}
		cfg.Add(lg.Guest)
		sudo := sshtest.SudoNoPassword
		if s.name == f.sudoPassword {
			sudo = sshtest.SudoPassword
		}
		cluster := s.cluster
		if s.name == f.cftoolDisagree {
			cluster = "cluster9"
		}
		lg.config = sshtest.Config{
			Users:   map[string]sshtest.User{s.user: {Password: lg.Password, Sudo: sudo, Chage: f.chage(s.name, time.Now())}},
			Handler: l.guestDisk(s.name, guestScript(cluster, s.node).Handler),
		}
		if s.name == f.slowAuth {
			lg.config.AuthDelay = HandshakeTimeout * 3 / 2
		}
		if lg.Server, err = sshtest.Start(lg.config); err != nil {
			return nil, err
		}
		srv := lg.Server
		l.closers = append(l.closers, func() { srv.Close() })
		l.Routes[s.ip+":22"] = lg.Server.Addr()
		l.Guests = append(l.Guests, lg)
	}
	if err = kvmguests.WriteFile(l.File, &cfg, kvmguests.Options{AllowSealed: true}); err != nil {
		return nil, err
	}
	if err = l.startHosts(); err != nil {
		return nil, err
	}
	var fails []sdtest.AgentRef
	if f.testFailed {
		fails = []sdtest.AgentRef{{Node: Host2Name, Agent: "SA_ipmi"}}
	}
	l.Facility = sdtest.New(sdtest.Config{
		Nodes:     []sdtest.Node{{Name: HostName, Agents: []string{"SA_ipmi"}}, {Name: Host2Name, Agents: []string{"SA_ipmi"}}},
		LocalNode: HostName, Cluster: "hostcluster",
		TestFails: fails,
	})
	if err = l.openStore(); err != nil {
		return nil, err
	}
	return l, nil
}

// guestScript answers what preflight runs on a guest: its cftool, and
// ssh-keygen -F for both hosts (root on every guest has made its first
// login to every host, step 5).
func guestScript(cluster, node string) sshtest.Script {
	s := sshtest.Script{
		CFTool + " -c": {Stdout: cluster + "\n"},
		CFTool + " -l": {Stdout: "Node    Number State       Os      Cpu\n" + node + " 1      UP          Linux   EM64T\n"},
	}
	for _, h := range []string{HostIP, Host2IP} {
		s["ssh-keygen -F "+h+" -f "+sshcheck.GuestRootKnownHosts] = sshtest.Reply{
			Stdout: "# Host " + h + " found: line 1\n" + h + " ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDemoKeyOfTheHost\n"}
	}
	return s
}

// openStore opens each host's libvirt: this host's with its guests (and
// the unlisted domain), the other host's with its own.
func (l *Lab) openStore() error {
	var here, there []string
	for _, g := range l.Guests {
		if g.Here {
			here = append(here, g.Name)
		} else {
			there = append(there, g.Name)
		}
	}
	if l.set.unlisted != "" {
		here = append(here, l.set.unlisted)
	}
	var err error
	if l.Store, l.StoreName, err = l.openOne(here); err != nil {
		return err
	}
	// The other host's is always in memory: a StoreOpener opens this
	// host's libvirt (some callers' give a store of this host's domains
	// whatever the URI). WriteFiles writes it as a test driver fixture.
	l.Host2Store = memoryStore(there)
	return nil
}

// openOne uses libvirt's test driver on a fixture of the lab's own with
// the domains named, shut off, or an in-memory store.
func (l *Lab) openOne(names []string) (migratesetup.Store, string, error) {
	var reason string
	if l.set.openStore != nil {
		fixture := filepath.Join(l.Dir, "libvirt-test.xml")
		var b strings.Builder
		b.WriteString("<node>\n")
		for _, n := range names {
			b.WriteString(domainXML(n, true))
		}
		b.WriteString("</node>\n")
		if err := os.WriteFile(fixture, []byte(b.String()), 0o600); err != nil {
			return nil, "", err
		}
		s, closeStore, err := l.set.openStore("test://" + fixture)
		if err == nil {
			l.closers = append(l.closers, closeStore)
			return s, "libvirt's test driver (test://" + fixture + ")", nil
		}
		reason = " (" + err.Error() + ")"
	}
	return memoryStore(names), "an in-memory store" + reason, nil
}

// memoryStore is an in-memory libvirt with the domains named, shut off.
func memoryStore(names []string) *migratesetuptest.Store {
	domains := map[string]*migratesetuptest.Domain{}
	for _, n := range names {
		domains[n] = &migratesetuptest.Domain{XML: domainXML(n, false), State: migratesetup.StateShutoff}
	}
	return migratesetuptest.New(domains)
}

// domainXML is a guest's definition; fixture adds the test driver's run
// state (5: shut off).
func domainXML(name string, fixture bool) string {
	ns, state := "", ""
	if fixture {
		ns = " xmlns:test='http://libvirt.org/schemas/domain/test/1.0'"
		state = "    <test:runstate>5</test:runstate>\n"
	}
	return fmt.Sprintf(`  <domain type='test'%s>
    <name>%s</name>
    <memory unit='KiB'>1048576</memory>
    <vcpu>1</vcpu>
    <os><type arch='x86_64'>hvm</type></os>
    <devices>
      <disk type='file' device='disk'>
        <source file='/var/lib/libvirt/images/%s.qcow2'/>
        <target dev='vda' bus='virtio'/>
      </disk>
      <graphics type='vnc' port='-1' autoport='yes' passwd='vnc-secret'/>
    </devices>
%s  </domain>
`, ns, name, name, state)
}

// ProberOptions route every lab address to its server and use the lab's
// known_hosts, with the given host-key policy.
func (l *Lab) ProberOptions(policy sshcheck.HostKeyPolicy) sshcheck.Options {
	return sshcheck.Options{
		KnownHostsFiles: []string{l.KnownHosts}, GlobalKnownHostsFiles: []string{},
		HostKeyPolicy: policy, DialContext: l.Routes.DialContext,
		HandshakeTimeout: HandshakeTimeout,
	}
}

// Password opens a lab guest's sealed token.
func (l *Lab) Password(g kvmguests.Guest) sshcheck.PasswordSource {
	return preflight.SealedPassword(l.Key, g, cipher.OpenOptions{}, nil)
}

// Host2Target is how this host logs in to the other host.
func (l *Lab) Host2Target() sshcheck.Target {
	return sshcheck.Target{Name: Host2Name, Address: Host2IP, User: "root", Password: cipher.NewSecret(l.Host2Password)}
}

// Config is preflight's view of the lab: the lab's file, tokens, routes,
// facility, store and other host, host keys checked strictly. Run it
// after Prepare.
func (l *Lab) Config() preflight.Config {
	return preflight.Config{
		File: l.File, FileOptions: kvmguests.Options{AllowSealed: true, SkipFileChecks: l.SkipFileChecks()},
		Password:      l.Password,
		ProberOptions: l.ProberOptions(sshcheck.Strict),
		Local:         l.Facility, SDTool: SDTool, CFTool: CFTool, GuestCFTool: CFTool,
		Store: l.Store, HostInfo: l.HostInfo,
		Hosts:    []sshcheck.Target{l.Host2Target()},
		Parallel: 8,

		PreviousConfSHA256: l.previousConfSHA256(),
		MaxCopy:            l.maxCopy(),
	}
}

// FloodCap is what preflight reads of the flooding host's copy
// (HostFloods): 1 MiB, not the default 64 MiB, which on a busy machine
// under the race detector took longer than a command's bound to arrive.
const FloodCap = 1 << 20

// maxCopy is Config's MaxCopy: FloodCap when the other host floods.
func (l *Lab) maxCopy() int64 {
	if l.set.hostFloods {
		return FloodCap
	}
	return 0
}

// previousConfSHA256 is the checksum an earlier run of the prepared lab
// kept: the file's, or another with ConfChangedSinceLastRun.
func (l *Lab) previousConfSHA256() string {
	if l.set.confChanged {
		return strings.Repeat("0", 64)
	}
	return l.confSum
}

// SkipFileChecks: the lab's file is the caller's, root's only when the
// caller is root; elsewhere its owner check is skipped.
func (l *Lab) SkipFileChecks() bool { return os.Geteuid() != 0 }

// Close stops every server and closes the store. It leaves the folder to
// its owner.
func (l *Lab) Close() {
	if l.stop != nil {
		l.stop() // first: a host's preflight run ends before its server waits for it
	}
	for i := len(l.closers) - 1; i >= 0; i-- {
		l.closers[i]()
	}
	l.closers = nil
}

// randomWord makes the lab's passwords different on every run.
func randomWord() string {
	b := make([]byte, 6)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// guest returns the lab guest of that name.
func (l *Lab) guest(name string) (*Guest, error) {
	for _, g := range l.Guests {
		if g.Name == name {
			return g, nil
		}
	}
	return nil, fmt.Errorf("no lab guest %s", name)
}

// TakeDown closes a guest's server and its route: its port is closed.
func (l *Lab) TakeDown(name string) error {
	g, err := l.guest(name)
	if err != nil {
		return err
	}
	g.Server.Close()
	delete(l.Routes, g.IP.String()+":22")
	return nil
}

// Rekey gives a guest a new host key, as a reinstalled guest would have:
// the one recorded in known_hosts no longer matches.
func (l *Lab) Rekey(name string) error {
	g, err := l.guest(name)
	if err != nil {
		return err
	}
	cfg := g.config
	cfg.HostKeys = nil // a new Ed25519 key
	s, err := sshtest.Start(cfg)
	if err != nil {
		return err
	}
	g.Server.Close()
	g.Server = s
	l.closers = append(l.closers, func() { s.Close() })
	l.Routes[g.IP.String()+":22"] = s.Addr()
	return nil
}
