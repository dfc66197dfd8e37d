package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/sshdtest"
	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/sshcheck"
	"golang.org/x/crypto/ssh"
)

// enrollLab is one guest that has never been enrolled and the hosts of a
// site. The guest is a real OpenSSH sshd in a network namespace and a
// mount namespace of its own, where /etc is a copy of this machine's (so
// that useradd, chpasswd, PAM, sudo and visudo are the real programs
// working on the guest's own files, and this machine's accounts are never
// touched), /home, /root and /opt are empty tmpfs, a fake cftool (SPEC's
// formats) is at /opt/SMAW/bin/cftool and /sys/class/dmi/id/product_uuid
// holds the guest's UUID. Root logs in to it by key. The hosts are sshd
// in namespaces of their own, as in rotateLab: each with its own copy of
// kvmguests.conf at this host's path and its own /root (a tmpfs), reached
// by the system's ssh client. This host's file and every copy hold one
// other guest already.
type enrollLab struct {
	dir, guestDir, etc, conf, keyFile, known, sshConfig, adminKey, hostinfo string
	key                                                                     *cipher.Key
	ip                                                                      string
	ips                                                                     []string // every address of the guest's sshd, ip first
	guest                                                                   *sshdtest.Server
	hosts                                                                   []*sshdtest.Server
	hostIPs, hostFiles                                                      []string
	hostsFlag                                                               string
	hook                                                                    *faultHook
	// this is this host's sshd in a routed lab (step 5 reaches it at
	// thisIP); hostIdentity logs in to the hosts.
	this                 *sshdtest.Server
	thisIP, hostIdentity string
}

const (
	enrollUser = "pcllogin"
	enrollPW   = "Enroll-4-real"
	enrollUUID = "5f1c6d2e-8a41-4b7e-9c3d-2e6f0a1b7c95"
)

func newEnrollLab(t *testing.T, nHosts int) *enrollLab {
	t.Helper()
	return newEnrollLabWith(t, nHosts, labOptions{})
}

// newEnrollLabN is newEnrollLab with a guest sshd of nAddrs addresses
// (l.ips): each one a guest of its own for a batch.
func newEnrollLabN(t *testing.T, nHosts, nAddrs int) *enrollLab {
	return newEnrollLabWith(t, nHosts, labOptions{addrs: nAddrs})
}

// labOptions make a lab where the hosts reach the guest: each host's
// sshd (and this host's, for step 5) listens on this side of a veth pair
// of the test's own, in the test's network namespace, so that its
// sessions (preflight there) reach the guest as a cluster host does;
// each host is registered (its own host information file at this host's
// path, bound in its mount namespace) with that address, and so is this
// host. hostSetup adds to host i's mount namespace. addrs is the number of
// the guest sshd's addresses (0: one).
type labOptions struct {
	routed    bool
	hostSetup func(i int) string
	addrs     int
}

func newEnrollLabWith(t *testing.T, nHosts int, o labOptions) *enrollLab {
	nAddrs := max(o.addrs, 1)
	t.Helper()
	keygen := testenv.LookPath(t, "ssh-keygen", "openssh-client")
	testenv.LookPath(t, "ssh", "openssh-client")
	testenv.LookPath(t, "visudo", "sudo")
	testenv.LookPath(t, "useradd", "passwd")
	l := &enrollLab{dir: t.TempDir(), hook: newFaultHook(t)}
	l.guestDir = filepath.Join(l.dir, "guest")
	os.Mkdir(l.guestDir, 0o700)
	copyEtc(t, filepath.Join(l.guestDir, "etc"))
	// Sudo rules of other tests do not belong to this guest.
	old, _ := filepath.Glob(filepath.Join(l.guestDir, "etc/sudoers.d/sfkvm-*"))
	for _, f := range old {
		os.Remove(f)
	}
	guestUIDs(t, filepath.Join(l.guestDir, "etc/login.defs"))
	cftool := "#!/bin/sh\ncase $1 in\n-l) printf 'Node     Number State       Os      Cpu\\ncfguest7 1      UP          Linux   EM64T\\n' ;;\n-c) echo cluster7 ;;\n*) echo \"cftool: bad option $1\" >&2; exit 1 ;;\nesac\n"
	testenv.WriteExecutable(filepath.Join(l.guestDir, "cftool"), []byte(cftool), 0o755)
	os.WriteFile(filepath.Join(l.guestDir, "product_uuid"), []byte(strings.ToUpper(enrollUUID)+"\n"), 0o400)

	l.adminKey = filepath.Join(l.dir, "id_admin")
	if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-f", l.adminKey).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	pub, _ := os.ReadFile(l.adminKey + ".pub")
	auth := filepath.Join(l.dir, "authorized_keys")
	os.WriteFile(auth, pub, 0o600)

	ns := sshdtest.NewNetNS(t, nAddrs)
	l.ip, l.ips = ns.GuestIPs[0], ns.GuestIPs
	g := l.guestDir
	setup := strings.Join([]string{
		"mount --bind " + g + "/etc /etc",
		"mount -t tmpfs -o mode=0755 sfkvm-home /home",
		"mount -t tmpfs -o mode=0700 sfkvm-root /root",
		"mount -t tmpfs -o mode=0755 sfkvm-opt /opt",
		"mkdir -p /opt/SMAW/bin && cp " + g + "/cftool /opt/SMAW/bin/cftool",
		"mount -t tmpfs -o mode=0755 sfkvm-sys /sys/class",
		"mkdir -p /sys/class/dmi/id && cp " + g + "/product_uuid /sys/class/dmi/id/product_uuid",
	}, "\n")
	l.guest = sshdtest.Start(t, sshdtest.Config{NetNS: ns.Name, ListenAddresses: ns.GuestIPs, HostKeyTypes: []string{"ed25519"},
		Extra: []string{"AuthorizedKeysFile " + auth}, Setup: setup})

	// This host, and the others.
	l.etc = filepath.Join(l.dir, "etc")
	os.Mkdir(l.etc, 0o700)
	l.conf = filepath.Join(l.etc, "kvmguests.conf")
	l.keyFile = filepath.Join(l.dir, "sfkvm.key")
	// This host's registration (migratesetup -c).
	l.hostinfo = filepath.Join(l.dir, "hostinfo")
	thisIP := "192.0.2.1"
	if o.routed {
		thisIP = ns.HostIP
		l.this = sshdtest.Start(t, sshdtest.Config{ListenAddresses: []string{ns.HostIP}, Port: 22, HostKeyTypes: []string{"ed25519"}})
		l.thisIP = ns.HostIP
	}
	if err := migratesetup.Register(context.Background(), l.hostinfo, migratesetup.HostInfo{CFName: "cfhost1", IP: netip.MustParseAddr(thisIP)}); err != nil {
		t.Fatal(err)
	}
	var err error
	if l.key, err = cipher.CreateKeyFile(l.keyFile); err != nil {
		t.Fatal(err)
	}
	other := kvmguests.Guest{Name: "guest1", HostCFName: "cfhost1", ClusterName: "cluster7", CFName: "cfguest1",
		IP: netip.MustParseAddr("10.99.0.9"), User: "root"}
	tok, err := l.key.Seal(cipher.SecretFromString("Other-pw-1"), preflight.GuestContext(other))
	if err != nil {
		t.Fatal(err)
	}
	other.Password = kvmguests.Token(tok)
	var cfg kvmguests.Config
	cfg.Add(other)
	data, err := kvmguests.Marshal(&cfg, l.conf, kvmguests.Options{AllowSealed: true})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(l.conf, data, 0o600)

	id := filepath.Join(l.dir, "id_hosts")
	if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-f", id).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	hpub, _ := os.ReadFile(id + ".pub")
	hauth := filepath.Join(l.dir, "host_authorized_keys")
	os.WriteFile(hauth, hpub, 0o600)
	l.known = filepath.Join(l.dir, "known_hosts")
	var sshConf, known strings.Builder
	var names []string
	for i := range nHosts {
		name := fmt.Sprintf("cfhost%d", i+2)
		hns := sshdtest.NewNetNS(t, 1)
		hd := filepath.Join(l.dir, "hosts", name)
		os.MkdirAll(hd, 0o700)
		hc := sshdtest.Config{NetNS: hns.Name, ListenAddresses: hns.GuestIPs, HostKeyTypes: []string{"ed25519"},
			Extra: []string{"AuthorizedKeysFile " + hauth, "PermitRootLogin prohibit-password"},
			Setup: "mount --bind " + hd + " " + l.etc + "\nmount -t tmpfs -o mode=0700 sfkvm-root /root"}
		hip := hns.GuestIPs[0]
		if o.routed {
			hip = hns.HostIP
			hc.NetNS, hc.ListenAddresses, hc.Port = "", []string{hip}, 22
			reg := filepath.Join(hd, "hostinfo")
			if err := migratesetup.Register(context.Background(), reg, migratesetup.HostInfo{CFName: name, IP: netip.MustParseAddr(hip)}); err != nil {
				t.Fatal(err)
			}
			hc.Setup += "\nmount --bind " + reg + " " + l.hostinfo
		}
		if o.hostSetup != nil {
			hc.Setup += "\n" + o.hostSetup(i)
		}
		hs := sshdtest.Start(t, hc)
		fmt.Fprintf(&sshConf, "Host %s\n  HostName %s\n  Port 22\n  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n  GlobalKnownHostsFile /dev/null\n  KexAlgorithms %s\n",
			name, hip, id, l.known, testHostKex)
		known.WriteString(hs.KnownHostsLine(hip, 22, "ssh-ed25519") + "\n")
		f := filepath.Join(hd, "kvmguests.conf")
		os.WriteFile(f, data, 0o600)
		l.hosts = append(l.hosts, hs)
		l.hostIPs = append(l.hostIPs, hip)
		l.hostFiles = append(l.hostFiles, f)
		names = append(names, name)
	}
	if l.this != nil {
		known.WriteString(l.this.KnownHostsLine(l.thisIP, 22, "ssh-ed25519") + "\n")
	}
	l.hostIdentity = id
	l.sshConfig = filepath.Join(l.dir, "ssh_config")
	os.WriteFile(l.sshConfig, []byte(sshConf.String()), 0o600)
	os.WriteFile(l.known, []byte(known.String()), 0o600)
	l.hostsFlag = strings.Join(names, ",")
	return l
}

// labUIDs numbers the guests' UID ranges (guestUIDs).
var labUIDs atomic.Int32

// guestUIDs gives the users that useradd makes in this guest a UID range
// of its own. The guests of tests running at once share the kernel's
// process table, not a PID namespace: with the same UIDs, userdel in one
// guest refused ("currently used by process") while another guest's user
// of that UID had a login open, as separate machines never would.
func guestUIDs(t *testing.T, loginDefs string) {
	t.Helper()
	b, err := os.ReadFile(loginDefs)
	if err != nil {
		t.Fatal(err)
	}
	lo := 40000 + 100*(labUIDs.Add(1)%200)
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		switch f := strings.Fields(line); {
		case len(f) == 2 && (f[0] == "UID_MIN" || f[0] == "GID_MIN"):
			line = f[0] + " " + strconv.Itoa(int(lo))
		case len(f) == 2 && (f[0] == "UID_MAX" || f[0] == "GID_MAX"):
			line = f[0] + " " + strconv.Itoa(int(lo)+99)
		}
		out = append(out, line)
	}
	if err := os.WriteFile(loginDefs, []byte(strings.Join(out, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyEtc copies this machine's /etc to dst for a guest. Test accounts
// are made and removed meanwhile (scripts/testusers.sh, under its lock:
// taken here too); a file that vanishes in between (useradd's
// /etc/passwd.lock) is tried again.
func copyEtc(t *testing.T, dst string) {
	t.Helper()
	flock := testenv.LookPath(t, "flock", "util-linux")
	var out []byte
	var err error
	for range 5 {
		os.RemoveAll(dst)
		out, err = exec.Command(flock, "-w", "60", "/run/sfkvm-testusers.lock", "cp", "-a", "/etc", dst).CombinedOutput()
		if err == nil {
			// As the labs' other sshd: no update-motd scripts on each
			// login, new passwords hashed with SHA-512: RHEL's and
			// SLES's PAM (sshdtest.LabPAMIn).
			if err := sshdtest.LabPAMIn(dst); err != nil {
				t.Fatal(err)
			}
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("copying /etc for the guest: %v %s", err, out)
}

// fingerprint is the guest's host key fingerprint, as its console shows it.
func (l *enrollLab) fingerprint() string {
	return ssh.FingerprintSHA256(l.guest.HostKeys["ssh-ed25519"])
}

// args are the flags of an enrollment in the lab, the domain and host
// CF name given (the libvirt lookup has a test of its own).
func (l *enrollLab) args(more ...string) []string {
	return append([]string{"enroll", "-f", l.conf, "--guest-user", enrollUser, "--password-stdin", "--native", "--key", l.keyFile,
		"--admin-identity", l.adminKey, "--known-hosts", l.known, "--ssh-config", l.sshConfig, "--hosts", l.hostsFlag,
		"--domain", "guest7", "--host-cfname", "cfhost2", "--guest-key-fingerprint", l.fingerprint(),
		"--host-addresses", strings.Join(l.hostIPs, ","), "--hostinfo", l.hostinfo}, append(more, l.ip)...)
}

// guestFile is a file of the guest as the guest sees it.
func (l *enrollLab) guestFile(path string) string {
	return fmt.Sprintf("/proc/%d/root%s", l.guest.Pid(), path)
}

// hostFile is a file of host i as that host sees it.
func (l *enrollLab) hostFile(i int, path string) string {
	return fmt.Sprintf("/proc/%d/root%s", l.hosts[i].Pid(), path)
}

// inGuest runs a command in the guest's mount namespace.
func (l *enrollLab) inGuest(t *testing.T, args ...string) (string, error) {
	t.Helper()
	nsenter := testenv.LookPath(t, "nsenter", "util-linux")
	out, err := exec.Command(nsenter, append([]string{"-t", strconv.Itoa(l.guest.Pid()), "-m", "--"}, args...)...).CombinedOutput()
	return string(out), err
}

// userExists reports whether the guest has the user.
func (l *enrollLab) userExists(t *testing.T) bool {
	_, err := l.inGuest(t, "id", "-u", enrollUser)
	return err == nil
}

// login reports whether the user logs in to the guest with pw and has
// sudo -n.
func (l *enrollLab) login(t *testing.T, pw string) error {
	t.Helper()
	return l.loginAs(t, l.ip, enrollUser, pw)
}

// loginAs reports whether user logs in to the guest at ip with pw and has
// sudo -n.
func (l *enrollLab) loginAs(t *testing.T, ip, user, pw string) error {
	t.Helper()
	known := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(known, []byte(l.guest.KnownHostsLine(ip, 22, "ssh-ed25519")+"\n"), 0o600)
	p, err := sshcheck.New(sshcheck.Options{KnownHostsFiles: []string{known}, GlobalKnownHostsFiles: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := p.Probe(ctx, sshcheck.Target{Address: ip, User: user, Password: cipher.SecretFromString(pw)})
	return r.Err
}

// lines returns every copy's guest lines, this host's first, and fails
// the test unless the copies are byte-identical.
func (l *enrollLab) identical(t *testing.T) []kvmguests.Guest {
	t.Helper()
	want, err := os.ReadFile(l.conf)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range l.hostFiles {
		got, err := os.ReadFile(f)
		if err != nil || string(got) != string(want) {
			t.Errorf("%s differs from this host's file (%v):\n%s\n---\n%s", f, err, got, want)
		}
	}
	gs, _, err := kvmguests.ReadGuests(l.conf, kvmguests.Options{AllowSealed: true, SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	return gs
}

// enrolled checks the end state of an enrollment: the line on every
// host, its token opening to the password, the user logging in with it
// and sudo -n, the drop-in 0440 root and valid, the keys both ways.
func (l *enrollLab) enrolled(t *testing.T) {
	t.Helper()
	gs := l.identical(t)
	if len(gs) != 2 || gs[1].Name != "guest7" || gs[1].HostCFName != "cfhost2" || gs[1].ClusterName != "cluster7" ||
		gs[1].CFName != "cfguest7" || gs[1].IP.String() != l.ip || gs[1].User != enrollUser {
		t.Fatalf("the file's guests: %v", gs)
	}
	s, err := l.key.Open(gs[1].Password.Reveal(), preflight.GuestContext(gs[1]))
	if err != nil || string(s.Bytes()) != enrollPW {
		t.Errorf("the token does not open to the password: %v", err)
	}
	if err := l.login(t, enrollPW); err != nil {
		t.Errorf("no login as %s with the new password: %v", enrollUser, err)
	}
	rule := l.guestFile("/etc/sudoers.d/sfkvm-" + enrollUser)
	fi, err := os.Stat(rule)
	if err != nil || fi.Mode().Perm() != 0o440 {
		t.Errorf("the drop-in: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(rule); !strings.Contains(string(b), enrollUser+" ALL=(root) NOPASSWD: ALL\n") {
		t.Errorf("the drop-in holds %q", b)
	}
	if out, err := l.inGuest(t, "visudo", "-c"); err != nil {
		t.Errorf("the guest's sudoers is not valid: %v %s", err, out)
	}
	gk := l.guest.KnownHostsLine(l.ip, 22, "ssh-ed25519")
	blob := gk[strings.LastIndexByte(gk, ' ')+1:]
	for i := range l.hosts {
		if b, err := os.ReadFile(l.hostFile(i, "/root/.ssh/known_hosts")); err != nil || !strings.Contains(string(b), blob) {
			t.Errorf("host %d's root known_hosts lacks the guest's key: %v", i, err)
		}
		hk := l.hosts[i].KnownHostsLine(l.hostIPs[i], 22, "ssh-ed25519")
		hblob := hk[strings.LastIndexByte(hk, ' ')+1:]
		if b, err := os.ReadFile(l.guestFile("/root/.ssh/known_hosts")); err != nil || !strings.Contains(string(b), hblob) {
			t.Errorf("the guest's root known_hosts lacks host %d's key: %v", i, err)
		}
	}
	if b, _ := os.ReadFile(l.known); !strings.Contains(string(b), blob) {
		t.Error("this host's known_hosts lacks the guest's key")
	}
}

// notEnrolled checks that nothing of the guest is anywhere: every copy
// as it was, no user, no drop-in, the guest's sudoers valid.
func (l *enrollLab) notEnrolled(t *testing.T, why string) {
	t.Helper()
	if gs := l.identical(t); len(gs) != 1 {
		t.Errorf("%s: the file holds %d guests, want the other one only", why, len(gs))
	}
	if l.userExists(t) {
		t.Errorf("%s: the guest has the user %s", why, enrollUser)
	}
	if _, err := os.Stat(l.guestFile("/etc/sudoers.d/sfkvm-" + enrollUser)); err == nil {
		t.Errorf("%s: the guest has the drop-in", why)
	}
	if out, err := l.inGuest(t, "visudo", "-c"); err != nil {
		t.Errorf("%s: the guest's sudoers is not valid: %v %s", why, err, out)
	}
}

func TestEnrollRealGuestAndHosts(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	l := newEnrollLab(t, 2)
	before, _ := os.ReadFile(l.known)

	dry := runCLI(t, enrollPW+"\n", l.args("--dry-run")...)
	if dry.code != exitOK || !strings.Contains(dry.stdout, "would     user       useradd -m "+enrollUser) ||
		!strings.Contains(dry.stdout, enrollUser+" ALL=(root) NOPASSWD: ALL") || !strings.Contains(dry.stdout, "+guest7 cfhost2 cluster7 cfguest7 "+l.ip+" "+enrollUser+" <token hmac:") ||
		strings.Contains(dry.stdout+dry.stderr, enrollPW) {
		t.Fatalf("dry run: exit %d\n%s%s", dry.code, dry.stdout, dry.stderr)
	}
	l.notEnrolled(t, "after the dry run")
	if now, _ := os.ReadFile(l.known); string(now) != string(before) {
		t.Error("the dry run changed this host's known_hosts")
	}

	r := runCLI(t, enrollPW+"\n", l.args()...)
	if r.code != exitOK || strings.Contains(r.stdout+r.stderr, enrollPW) {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("first run:\n%s", r.stdout)
	for _, want := range []string{"cluster       cluster7 (cftool -c in the guest)", "cfname        cfguest7 (cftool -l in the guest)",
		"done      user       useradd -m " + enrollUser, "done      sudoers", "ok        proof", "done      file       3 copies written and read back",
		"left      disk", "next: sfkvm migratesetup -s guest7 --restart   (on the host that runs guest7)",
		"left      preflight  for guest7 on 3 hosts; left on this host: 1 FAIL, 1 WARN; cfhost2: no report; cfhost3: no report",
		// The hosts have no sfkvm in their PATH: their preflight is left, and said so.
		"preflight cfhost2      no report: sfkvm preflight did not run: sfkvm is not on the host (exit 127): give its path (--sfkvm)",
		"next: sfkvm preflight --guest guest7   (on cfhost3)",
		// This host's registered address (192.0.2.1) is not in --host-addresses:
		// preflight names step 5 for it as what is left.
		"FAIL guest.knowshost guest7 -> 192.0.2.1: root on the guest has no host key for 192.0.2.1"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	l.enrolled(t)

	// A second run changes nothing and says so.
	conf, _ := os.ReadFile(l.conf)
	again := runCLI(t, enrollPW+"\n", append(l.args()[:len(l.args())-1], "--format=json", l.ip)...)
	if again.code != exitOK || !strings.Contains(again.stdout, `"changed": false`) || !strings.Contains(again.stdout, `"schema": "sfkvm.enroll/v1"`) ||
		strings.Contains(again.stdout, `"state": "done"`) {
		t.Fatalf("second run: exit %d\n%s%s", again.code, again.stdout, again.stderr)
	}
	for _, s := range []string{"user", "password", "sudoers", "token", "keys", "file"} {
		if !strings.Contains(again.stdout, `"name": "`+s+`",
      "state": "already"`) {
			t.Errorf("second run: step %s is not \"already\":\n%s", s, again.stdout)
		}
	}
	if now, _ := os.ReadFile(l.conf); string(now) != string(conf) {
		t.Error("the second run changed the file")
	}
	// And a dry run of an enrolled guest would change nothing either.
	if dry := runCLI(t, enrollPW+"\n", l.args("--dry-run")...); dry.code != exitOK || strings.Contains(dry.stdout, "would ") {
		t.Errorf("dry run of an enrolled guest: exit %d\n%s%s", dry.code, dry.stdout, dry.stderr)
	}

	// Unenroll, the user too; a dry run first changes nothing.
	unArgs := []string{"unenroll", "-f", l.conf, "--key", l.keyFile, "--known-hosts", l.known, "--ssh-config", l.sshConfig, "--hosts", l.hostsFlag,
		"--admin-identity", l.adminKey, "--remove-user"}
	dryUn := runCLI(t, "", append(unArgs, "--dry-run", "guest7")...)
	if dryUn.code != exitOK || !strings.Contains(dryUn.stdout, "would     user       userdel -r "+enrollUser) ||
		!strings.Contains(dryUn.stdout, "-guest7 cfhost2 cluster7 cfguest7 "+l.ip) {
		t.Fatalf("unenroll --dry-run: exit %d\n%s%s", dryUn.code, dryUn.stdout, dryUn.stderr)
	}
	if now, _ := os.ReadFile(l.conf); string(now) != string(conf) || !l.userExists(t) {
		t.Fatal("unenroll --dry-run changed something")
	}
	un := runCLI(t, "", append(unArgs, "guest7")...)
	if un.code != exitOK || !strings.Contains(un.stdout, "done      user       userdel -r "+enrollUser) {
		t.Fatalf("unenroll: exit %d\n%s%s", un.code, un.stdout, un.stderr)
	}
	l.notEnrolled(t, "after unenroll")
	again = runCLI(t, "", append(unArgs, "guest7")...)
	if again.code != exitOK || !strings.Contains(again.stdout, "nothing changed: the guest was not enrolled") {
		t.Errorf("a second unenroll: exit %d\n%s%s", again.code, again.stdout, again.stderr)
	}
}

// The administrator is not root but a user with sudo -n, logging in by
// password: every command on the guest goes through sudo -n.
func TestEnrollAsSudoAdministrator(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	l := newEnrollLab(t, 1)
	// The guest's PAM, from its own /etc, runs no update-motd scripts
	// on each login, as the labs' other sshd (copyEtc).
	if pam, err := os.ReadFile(l.guestFile("/etc/pam.d/sshd")); err != nil || strings.Contains(string(pam), "motd=/run/motd.dynamic") {
		t.Errorf("the guest's /etc/pam.d/sshd (%v) runs update-motd:\n%s", err, pam)
	}
	const admin, adminPW = "pcladmin", "Admin-pw-77"
	nsenter := testenv.LookPath(t, "nsenter", "util-linux")
	for _, c := range [][]string{{"useradd", "-m", admin}, {"sh", "-c", "echo " + admin + ":" + adminPW + " | chpasswd"}} {
		if out, err := exec.Command(nsenter, append([]string{"-t", strconv.Itoa(l.guest.Pid()), "-m", "--"}, c...)...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v %s", c, err, out)
		}
	}
	os.WriteFile(filepath.Join(l.guestDir, "etc/sudoers.d/test-admin"), []byte(admin+" ALL=(root) NOPASSWD: ALL\n"), 0o440)
	pwFile := filepath.Join(t.TempDir(), "admin-password")
	os.WriteFile(pwFile, []byte(adminPW+"\n"), 0o600)
	var args []string
	for i := 0; i < len(l.args()); i++ {
		if a := l.args()[i]; a == "--admin-identity" {
			i++
			continue
		} else {
			args = append(args, a)
		}
	}
	args = append(args[:len(args)-1], "--admin-user", admin, "--admin-password-file", pwFile, l.ip)
	r := runCLI(t, enrollPW+"\n", args...)
	if r.code != exitOK || !strings.Contains(r.stdout, "ok        login      as "+admin+", sudo -n works") || strings.Contains(r.stdout+r.stderr, adminPW) {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	l.enrolled(t)
}

// The first guest of a site: no host has a kvmguests.conf yet; every host
// gets one, identical, with that guest's line only.
func TestEnrollFirstGuestOfASite(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	l := newEnrollLab(t, 2)
	for _, f := range append([]string{l.conf}, l.hostFiles...) {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	r := runCLI(t, enrollPW+"\n", l.args()...)
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	gs := l.identical(t)
	if len(gs) != 1 || gs[0].Name != "guest7" {
		t.Fatalf("the file's guests: %v", gs)
	}
	for _, f := range append([]string{l.conf}, l.hostFiles...) {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, fi, err)
		}
	}
}

// Without --guest-key-fingerprint, at a terminal, the guest's key is shown
// and must be accepted with "yes": "no" stops the run before anything
// changes, "yes" enrolls. The password is asked twice without echo first.
func TestEnrollConfirmsTheKeyAtATerminal(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	l := newEnrollLab(t, 1)
	var args []string
	all := l.args()
	for i := 0; i < len(all); i++ {
		switch all[i] {
		case "--guest-key-fingerprint":
			i++
		case "--password-stdin":
		default:
			args = append(args, all[i])
		}
	}
	for _, answer := range []string{"no", "yes"} {
		s := startCLIOnPTY(t, os.Getenv("PATH"), args...)
		s.expect("Enter User's Password:")
		s.typeLine(enrollPW)
		s.expect("Re-enter User's Password:")
		s.typeLine(enrollPW)
		s.expect("offers the host key ssh-ed25519 " + l.fingerprint())
		s.expect("Is it the guest's? (yes/no)")
		s.typeLine(answer)
		code := s.wait()
		if answer == "no" {
			if code != exitFailed || !strings.Contains(s.out.String(), "was not confirmed") {
				t.Fatalf("answered no: exit %d\n%s", code, s.out.String())
			}
			l.notEnrolled(t, "the key refused at the terminal")
			continue
		}
		if code != exitOK || !strings.Contains(s.out.String(), "accepted at the terminal") || strings.Contains(s.out.String(), enrollPW) {
			t.Fatalf("answered yes: exit %d\n%s", code, s.out.String())
		}
		l.enrolled(t)
	}
}

// Two guests made at once give their new users disjoint UID ranges
// (guestUIDs), and the rest of login.defs stays as it was.
func TestGuestUIDsDisjoint(t *testing.T) {
	t.Parallel()
	defs := "# comment\nUID_MIN\t\t\t 1000\nUID_MAX\t\t\t60000\nGID_MIN\t\t\t 1000\nGID_MAX\t\t\t60000\nUMASK 022\n"
	var ranges [][2]int
	for range 2 {
		p := filepath.Join(t.TempDir(), "login.defs")
		os.WriteFile(p, []byte(defs), 0o644)
		guestUIDs(t, p)
		b, _ := os.ReadFile(p)
		got := map[string]int{}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) == 2 && strings.HasSuffix(f[0], "_MIN") || len(f) == 2 && strings.HasSuffix(f[0], "_MAX") {
				got[f[0]], _ = strconv.Atoi(f[1])
			}
		}
		if got["UID_MIN"] != got["GID_MIN"] || got["UID_MAX"] != got["GID_MAX"] || got["UID_MIN"] < 1000 || got["UID_MAX"] <= got["UID_MIN"] ||
			!strings.Contains(string(b), "# comment\n") || !strings.Contains(string(b), "UMASK 022\n") {
			t.Fatalf("login.defs after guestUIDs:\n%s", b)
		}
		ranges = append(ranges, [2]int{got["UID_MIN"], got["UID_MAX"]})
	}
	if a, b := ranges[0], ranges[1]; a[1] >= b[0] && b[1] >= a[0] {
		t.Errorf("two guests share UIDs: %v and %v", a, b)
	}
}
