package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/migratesetuptest"
	"github.com/sfkvm/sfkvm/sdfacility/sdtest"
	"github.com/sfkvm/sfkvm/sshcheck"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// The lab is a small cluster in one process: guests as in-process SSH
// servers behind documentation addresses (192.0.2.0/24, RFC 5737) that the
// prober's dial hook routes to loopback, a second host reachable the same
// way, a simulated shutdown facility and cftool, and libvirt's test driver.
// Nothing in it is ever dialled at its documentation address. The demo runs
// the procedure against it; the tests inject one fault at a time.

const (
	labHostIP    = "192.0.2.1" // this host, cfhost1
	labHost2IP   = "192.0.2.2" // the other host, cfhost2
	labHostName  = "cfhost1"
	labHost2Name = "cfhost2"
	labCFTool    = "/opt/SMAW/bin/cftool"
)

// labFaults break the lab in one place each.
type labFaults struct {
	sudoPassword   string // this guest's user needs a password for sudo (not NOPASSWD)
	changedKey     string // this guest's host key differs from the one recorded
	cftoolDisagree string // this guest's cftool -c names another cluster
	copyDiffers    bool   // the other host's kvmguests.conf differs
	testFailed     bool   // an agent of the shutdown facility ends TestFailed
	notSetUp       string // this guest runs here but was never set up
	down           string // this guest does not answer (its port is closed)
	vendorToken    string // this guest's guest_passwd is an sfcipher token, which --key cannot open
	slowAuth       string // this guest's password check outlasts the handshake timeout
	hostFloods     bool   // the other host answers cat of kvmguests.conf with endless output
	hostCatFails   bool   // the other host's cat fails with terminal escapes on stderr
	hostinfoFloods bool   // the other host answers cat of its host information with endless output
	movedToken     string // this guest's guest_passwd is the sealed token of the guest before it
}

// labHandshakeTimeout bounds banner, key exchange and login in the lab; a
// slowAuth guest takes longer than that to answer the password.
const labHandshakeTimeout = 1 * time.Second

type labGuest struct {
	g        kvmguests.Guest
	password string
	config   sshtest.Config
	server   *sshtest.Server
	here     bool // runs on this host
}

type lab struct {
	dir, conf, knownHosts, hostinfo string

	key           *cipher.Key
	guests        []*labGuest
	host2         *sshtest.Server
	host2Password []byte
	routes        sshtest.Routes
	sim           *sdtest.Sim
	store         migratesetup.Store
	storeOK       string // what the store is, for the reader
	closers       []func()
}

// labGuestSpecs is the manual's example, corrected, at documentation
// addresses; the guests of cfhost1 run here.
var labGuestSpecs = []struct{ name, host, cluster, node, ip, user string }{
	{"guest11", labHostName, "cluster1", "cfguest11", "192.0.2.11", "user1"},
	{"guest12", labHost2Name, "cluster1", "cfguest12", "192.0.2.12", "user2"},
	{"guest21", labHostName, "cluster2", "cfguest21", "192.0.2.21", "user3"},
	{"guest22", labHost2Name, "cluster2", "cfguest22", "192.0.2.22", "user4"},
}

// newLab builds the lab in dir. Close it to stop every server.
func newLab(dir string, f labFaults) (l *lab, err error) {
	l = &lab{
		dir: dir, conf: filepath.Join(dir, "kvmguests.conf"), knownHosts: filepath.Join(dir, "known_hosts"),
		hostinfo: filepath.Join(dir, "hostinfo"), routes: sshtest.Routes{},
	}
	defer func() {
		if err != nil {
			l.Close()
		}
	}()
	if l.key, err = cipher.NewKey(); err != nil {
		return nil, err
	}
	var cfg kvmguests.Config
	for i, s := range labGuestSpecs {
		lg := &labGuest{here: s.host == labHostName, password: fmt.Sprintf("demo-%d-%s", i+1, randomWord())}
		ip := netip.MustParseAddr(s.ip)
		token, err := l.key.Seal(cipher.SecretFromString(lg.password), cipher.GuestContext{Name: s.name, IP: ip, User: s.user})
		if err != nil {
			return nil, err
		}
		if s.name == f.vendorToken {
			token = "D0860AB04E1B8FA3"
		}
		if s.name == f.movedToken && i > 0 {
			token = l.guests[i-1].g.Password.Reveal()
		}
		lg.g = kvmguests.Guest{Name: s.name, HostCFName: s.host, ClusterName: s.cluster, CFName: s.node,
			IP: ip, User: s.user, Password: kvmguests.Token(token)}
		cfg.Add(lg.g)
		sudo := sshtest.SudoNoPassword
		if s.name == f.sudoPassword {
			sudo = sshtest.SudoPassword
		}
		cluster := s.cluster
		if s.name == f.cftoolDisagree {
			cluster = "cluster9"
		}
		lg.config = sshtest.Config{
			Users:   map[string]sshtest.User{s.user: {Password: lg.password, Sudo: sudo}},
			Handler: guestScript(cluster, s.node).Handler,
		}
		if s.name == f.slowAuth {
			lg.config.AuthDelay = labHandshakeTimeout * 3 / 2
		}
		if lg.server, err = sshtest.Start(lg.config); err != nil {
			return nil, err
		}
		l.closers = append(l.closers, func() { lg.server.Close() })
		l.routes[s.ip+":22"] = lg.server.Addr()
		l.guests = append(l.guests, lg)
	}
	if err = kvmguests.WriteFile(l.conf, &cfg, kvmguests.Options{AllowSealed: true}); err != nil {
		return nil, err
	}
	if err = l.startHost2(f); err != nil {
		return nil, err
	}
	l.sim = sdtest.New(sdtest.Config{
		Nodes:     []sdtest.Node{{Name: labHostName, Agents: []string{"SA_ipmi"}}, {Name: labHost2Name, Agents: []string{"SA_ipmi"}}},
		LocalNode: labHostName, Cluster: "hostcluster",
		TestFails: testFails(f),
	})
	if err = l.openStore(); err != nil {
		return nil, err
	}
	return l, nil
}

func testFails(f labFaults) []sdtest.AgentRef {
	if f.testFailed {
		return []sdtest.AgentRef{{Node: labHost2Name, Agent: "SA_ipmi"}}
	}
	return nil
}

// guestScript answers what preflight runs on a guest: its cftool, and
// ssh-keygen -F for both hosts (root on every guest has made its first
// login to every host, step 5).
func guestScript(cluster, node string) sshtest.Script {
	s := sshtest.Script{
		labCFTool + " -c": {Stdout: cluster + "\n"},
		labCFTool + " -l": {Stdout: "Node    Number State       Os      Cpu\n" + node + " 1      UP          Linux   EM64T\n"},
	}
	for _, h := range []string{labHostIP, labHost2IP} {
		s["ssh-keygen -F "+h+" -f "+sshcheck.GuestRootKnownHosts] = sshtest.Reply{
			Stdout: "# Host " + h + " found: line 1\n" + h + " ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDemoKeyOfTheHost\n"}
	}
	return s
}

// startHost2 starts the other host: root can read its copy of the file and
// its registration.
func (l *lab) startHost2(f labFaults) error {
	conf, err := os.ReadFile(l.conf)
	if err != nil {
		return err
	}
	if f.copyDiffers {
		conf = []byte(strings.Replace(string(conf), "guest22 cfhost2", "guest22 cfhost1", 1))
	}
	info, err := migratesetup.HostInfo{CFName: labHost2Name, IP: netip.MustParseAddr(labHost2IP)}.Format()
	if err != nil {
		return err
	}
	flood := func(stdout, _ io.Writer) {
		chunk := []byte(strings.Repeat("\x1b[2J# flood\n", 2048))
		for {
			if _, err := stdout.Write(chunk); err != nil {
				return
			}
		}
	}
	confReply, infoReply := sshtest.Reply{Stdout: string(conf)}, sshtest.Reply{Stdout: string(info)}
	if f.hostinfoFloods {
		infoReply.Stream = flood
	}
	switch {
	case f.hostFloods:
		confReply.Stream = flood
	case f.hostCatFails:
		confReply = sshtest.Reply{Stderr: "cat: \x1b]0;owned\x07\x1b[31mInput/output error\n", ExitStatus: 1}
	}
	l.host2Password = []byte("host2-root-" + randomWord())
	l.host2, err = sshtest.Start(sshtest.Config{
		Users: map[string]sshtest.User{"root": {Password: string(l.host2Password)}},
		Handler: sshtest.Script{
			"cat -- " + l.conf:     confReply,
			"cat -- " + l.hostinfo: infoReply,
		}.Handler,
	})
	if err != nil {
		return err
	}
	l.closers = append(l.closers, func() { l.host2.Close() })
	l.routes[labHost2IP+":22"] = l.host2.Addr()
	return nil
}

// openStore uses libvirt's test driver on a fixture of the lab's own (so
// that nothing is shared with any other test:/// connection), or an
// in-memory store where this binary has no libvirt.
func (l *lab) openStore() error {
	fixture := filepath.Join(l.dir, "libvirt-test.xml")
	var b strings.Builder
	b.WriteString("<node>\n")
	for _, g := range l.guests {
		if g.here {
			b.WriteString(labDomainXML(g.g.Name, true))
		}
	}
	b.WriteString("</node>\n")
	if err := os.WriteFile(fixture, []byte(b.String()), 0o600); err != nil {
		return err
	}
	s, closeStore, err := openStore("test://" + fixture)
	if err == nil {
		l.store, l.storeOK = s, "libvirt's test driver (test://"+fixture+")"
		l.closers = append(l.closers, closeStore)
		return nil
	}
	domains := map[string]*migratesetuptest.Domain{}
	for _, g := range l.guests {
		if g.here {
			domains[g.g.Name] = &migratesetuptest.Domain{XML: labDomainXML(g.g.Name, false), State: migratesetup.StateShutoff}
		}
	}
	l.store, l.storeOK = migratesetuptest.New(domains), "an in-memory store ("+err.Error()+")"
	return nil
}

// labDomainXML is a guest's definition; fixture adds the test driver's
// run state (5: shut off).
func labDomainXML(name string, fixture bool) string {
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

// proberOptions route every lab address to its server and use the lab's
// known_hosts.
func (l *lab) proberOptions(policy sshcheck.HostKeyPolicy) sshcheck.Options {
	return sshcheck.Options{
		KnownHostsFiles: []string{l.knownHosts}, GlobalKnownHostsFiles: []string{},
		HostKeyPolicy: policy, DialContext: l.routes.DialContext,
		HandshakeTimeout: labHandshakeTimeout,
	}
}

// targets are the guests as sshcheck targets, with their sealed passwords.
func (l *lab) targets() []sshcheck.Target {
	ts := make([]sshcheck.Target, len(l.guests))
	for i, g := range l.guests {
		ts[i] = sshcheck.Target{Name: g.g.Name, Address: g.g.IP.String(), User: g.g.User, Password: sealedPassword(l.key, g.g, cipher.OpenOptions{}, nil)}
	}
	return ts
}

// hereDomains are the guests that run on this host.
func (l *lab) hereDomains() []string {
	var names []string
	for _, g := range l.guests {
		if g.here {
			names = append(names, g.g.Name)
		}
	}
	return names
}

// preflightEnv is preflight's view of the lab.
func (l *lab) preflightEnv() (*preflightEnv, error) {
	p, err := sshcheck.New(l.proberOptions(sshcheck.Strict))
	if err != nil {
		return nil, err
	}
	hostPW := cipher.NewSecret(l.host2Password)
	return &preflightEnv{
		conf: l.conf, confOpts: kvmguests.Options{AllowSealed: true, SkipFileChecks: l.skipFileChecks()},
		prober: p, guestPort: 22,
		password: func(g kvmguests.Guest) sshcheck.PasswordSource {
			return sealedPassword(l.key, g, cipher.OpenOptions{}, nil)
		},
		local: l.sim, sdtool: "/opt/SMAW/bin/sdtool", cftool: labCFTool,
		store: l.store, hostinfo: l.hostinfo,
		hosts: []string{labHost2IP},
		hostTarget: func(addr string) sshcheck.Target {
			return sshcheck.Target{Name: addr, Address: addr, User: "root", Password: hostPW}
		},
		parallel: 8,
	}, nil
}

// Close stops every server and closes the store. It leaves the folder to
// its owner.
func (l *lab) Close() {
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

// takeDown closes a guest's server and its route: its port is closed.
func (l *lab) takeDown(name string) error {
	for _, g := range l.guests {
		if g.g.Name == name {
			g.server.Close()
			delete(l.routes, g.g.IP.String()+":22")
			return nil
		}
	}
	return fmt.Errorf("no lab guest %s", name)
}

// rekey gives a guest a new host key, as a reinstalled guest would have:
// the one recorded in known_hosts no longer matches.
func (l *lab) rekey(name string) error {
	for _, g := range l.guests {
		if g.g.Name != name {
			continue
		}
		cfg := g.config
		cfg.HostKeys = nil // a new Ed25519 key
		s, err := sshtest.Start(cfg)
		if err != nil {
			return err
		}
		g.server.Close()
		g.server = s
		l.closers = append(l.closers, func() { s.Close() })
		l.routes[g.g.IP.String()+":22"] = s.Addr()
		return nil
	}
	return fmt.Errorf("no lab guest %s", name)
}

func runningAsRoot() bool { return os.Geteuid() == 0 }
