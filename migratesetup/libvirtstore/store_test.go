//go:build cgo

package libvirtstore_test

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"libvirt.org/go/libvirt"

	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/libvirtstore"
)

const installLibvirt = "apt-get install --no-install-recommends libvirt-dev pkg-config (or libvirt0 when built with -tags libvirt_dlopen)"

// open connects to uri. A machine where libvirt's library cannot be used
// at all (test:///default does not open) skips, or fails under
// SFKVM_INTEGRATION=1; any other failure to open uri is a test failure.
func open(t *testing.T, uri string) *libvirtstore.Store {
	t.Helper()
	probe, err := libvirtstore.Open("test:///default")
	why := ""
	if err != nil {
		why = err.Error()
	}
	testenv.Need(t, err == nil, "libvirt's test driver ("+why+")", installLibvirt)
	probe.Close()
	s, err := libvirtstore.Open(uri)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// many returns a shut-off test domain whose disks use targets vda to vdLAST.
func many(name string, last byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>\n    <name>%s</name>\n    <memory>1048576</memory>\n    <os><type>hvm</type></os>\n    <devices>\n", name)
	for c := byte('a'); c <= last; c++ {
		fmt.Fprintf(&b, "      <disk type='file' device='disk'><source file='/img/%s-%c.raw'/><target dev='vd%c' bus='virtio'/></disk>\n", name, c, c)
	}
	b.WriteString("    </devices>\n    <test:runstate>5</test:runstate>\n  </domain>\n")
	return b.String()
}

// fixture registers a host information file and writes the node file
// that refers to it; it returns the options and the test:/// URI. Each
// connection to that URI gets its own copy of the domains.
func fixture(t *testing.T) (migratesetup.Options, string) {
	t.Helper()
	dir := t.TempDir()
	opts := migratesetup.Options{HostInfoPath: filepath.Join(dir, "hostinfo")}
	info := migratesetup.HostInfo{CFName: "cfhost1", IP: netip.MustParseAddr("10.20.30.40")}
	if err := migratesetup.Register(context.Background(), opts.HostInfoPath, info); err != nil {
		t.Fatal(err)
	}
	tmpl, err := os.ReadFile("testdata/node.xml")
	if err != nil {
		t.Fatal(err)
	}
	node := strings.NewReplacer("@HOSTINFO@", opts.HostInfoPath, "@GENERATED@", many("many", 'y')+many("full", 'z')).Replace(string(tmpl))
	path := filepath.Join(dir, "node.xml")
	if err := os.WriteFile(path, []byte(node), 0o600); err != nil {
		t.Fatal(err)
	}
	return opts, "test://" + path
}

func TestSetupGuestsAgainstLibvirt(t *testing.T) {
	opts, uri := fixture(t)
	s := open(t, uri)
	ctx := context.Background()
	rs := migratesetup.SetupGuests(ctx, s, []string{"off", "running", "already", "elsewhere", "many", "full", "absent"}, opts)
	want := map[string]struct {
		outcome migratesetup.Outcome
		target  string
		is      error
	}{
		"off":       {migratesetup.SetUp, "vdb", nil},
		"running":   {migratesetup.Refused, "vdb", migratesetup.ErrNotShutOff},
		"already":   {migratesetup.AlreadySetUp, "vdc", nil},
		"elsewhere": {migratesetup.Refused, "", migratesetup.ErrConflictingDisk},
		"many":      {migratesetup.SetUp, "vdz", nil},
		"full":      {migratesetup.Refused, "", migratesetup.ErrNoFreeTarget},
		"absent":    {migratesetup.Failed, "", libvirt.ERR_NO_DOMAIN},
	}
	for _, r := range rs {
		w := want[r.Domain]
		if r.Outcome != w.outcome || r.Target != w.target || (w.is == nil) != (r.Err == nil) || (w.is != nil && !errors.Is(r.Err, w.is)) {
			t.Errorf("%s: %s %q %v, want %s %q %v", r.Domain, r.Outcome, r.Target, r.Err, w.outcome, w.target, w.is)
		}
	}
	if absent := rs[len(rs)-1]; !errors.Is(absent.Err, migratesetup.ErrNoDomain) {
		t.Errorf("an unknown domain is not ErrNoDomain: %v", absent.Err)
	}
	// What libvirt now holds has our disk, exactly.
	for name, target := range map[string]string{"off": "vdb", "many": "vdz"} {
		x, err := s.InactiveXML(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("<disk type='file' device='disk'>\n      <driver name='qemu' type='raw'/>\n      <source file='%s'/>\n      <target dev='%s' bus='virtio'/>\n      <readonly/>\n      <shareable/>\n      <serial>sfkvm-hostinfo</serial>", opts.HostInfoPath, target)
		if !strings.Contains(x, want) {
			t.Errorf("%s as libvirt holds it:\n%s", name, x)
		}
	}
	// The refused ones are unchanged.
	if x, _ := s.InactiveXML(ctx, "running"); strings.Contains(x, migratesetup.Serial) {
		t.Error("the running guest was changed")
	}
	again := migratesetup.SetupGuests(ctx, s, []string{"off", "many"}, opts)
	for _, r := range again {
		if r.Outcome != migratesetup.AlreadySetUp {
			t.Errorf("second run, %s: %s %v", r.Domain, r.Outcome, r.Err)
		}
	}
}

// node is a parsed XML element, for comparing definitions as trees.
type node struct {
	Name     xml.Name
	Attr     []xml.Attr
	Text     string
	Children []*node
}

func parseTree(t *testing.T, text string) *node {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(text))
	var stack []*node
	var root *node
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return root
		}
		if err != nil {
			t.Fatal(err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{Name: tok.Name, Attr: tok.Attr}
			if len(stack) == 0 {
				root = n
			} else {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += strings.TrimSpace(string(tok))
			}
		}
	}
}

// withoutOurDisk removes the disk with our serial from a parsed domain and
// reports whether there was one.
func withoutOurDisk(root *node) bool {
	for _, c := range root.Children {
		if c.Name.Local != "devices" {
			continue
		}
		for i, d := range c.Children {
			for _, f := range d.Children {
				if d.Name.Local == "disk" && f.Name.Local == "serial" && f.Text == migratesetup.Serial {
					c.Children = append(c.Children[:i], c.Children[i+1:]...)
					return true
				}
			}
		}
	}
	return false
}

func TestRichDefinitionComesBackUnchanged(t *testing.T) {
	opts, uri := fixture(t)
	s := open(t, uri)
	ctx := context.Background()
	before, err := s.InactiveXML(ctx, "rich")
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"passwd='s3cr3t-vnc'", "passwd='s3cr3t-spice'", "<app:contact>ops@example.com</app:contact>"} {
		if !strings.Contains(before, secret) {
			t.Fatalf("the fixture as libvirt holds it lacks %s:\n%s", secret, before)
		}
	}
	// The test driver drops <qemu:commandline> when it loads the fixture
	// (only the qemu driver parses that namespace), so "before" lacks it
	// here; TestAddKeepsEveryOtherByte in package migratesetup shows that
	// the edit itself keeps it byte for byte.
	r := migratesetup.SetupGuest(ctx, s, "rich", opts)
	if r.Outcome != migratesetup.SetUp || r.Target != "vdb" {
		t.Fatalf("%+v", r)
	}
	after, err := s.InactiveXML(ctx, "rich")
	if err != nil {
		t.Fatal(err)
	}
	tb, ta := parseTree(t, before), parseTree(t, after)
	if !withoutOurDisk(ta) {
		t.Fatalf("no disk of ours after setup:\n%s", after)
	}
	if d := cmp.Diff(tb, ta); d != "" {
		t.Errorf("the definition changed apart from our disk (-before +after):\n%s", d)
	}

	// And removal gives back the definition as it was.
	if r := migratesetup.RemoveGuest(ctx, s, "rich", opts); r.Outcome != migratesetup.Removed {
		t.Fatalf("%+v", r)
	}
	removed, _ := s.InactiveXML(ctx, "rich")
	if d := cmp.Diff(parseTree(t, before), parseTree(t, removed)); d != "" {
		t.Errorf("after removal (-before +after):\n%s", d)
	}
	if r := migratesetup.RemoveGuest(ctx, s, "rich", opts); r.Outcome != migratesetup.NotSetUp {
		t.Errorf("second removal: %+v", r)
	}
}

func TestDryRunAgainstLibvirt(t *testing.T) {
	opts, uri := fixture(t)
	opts.DryRun = true
	s := open(t, uri)
	ctx := context.Background()
	before, _ := s.InactiveXML(ctx, "rich")
	r := migratesetup.SetupGuest(ctx, s, "rich", opts)
	if r.Outcome != migratesetup.WouldChange || !strings.Contains(r.Diff, "+      <serial>sfkvm-hostinfo</serial>") {
		t.Errorf("%+v", r)
	}
	if strings.Contains(r.Diff, "s3cr3t") {
		t.Errorf("the diff shows a password:\n%s", r.Diff)
	}
	if after, _ := s.InactiveXML(ctx, "rich"); after != before {
		t.Error("a dry run changed the definition")
	}
}

func TestRestartAgainstLibvirt(t *testing.T) {
	opts, uri := fixture(t)
	opts.Restart = true
	s := open(t, uri)
	ctx := context.Background()
	r := migratesetup.SetupGuest(ctx, s, "running", opts)
	if r.Outcome != migratesetup.SetUp || r.Stopped != "shutdown" || !r.Started || r.State != migratesetup.StateRunning {
		t.Fatalf("%+v", r)
	}
	if st, _ := s.State(ctx, "running"); st != migratesetup.StateRunning {
		t.Errorf("left %s", st)
	}
	if x, _ := s.InactiveXML(ctx, "running"); !strings.Contains(x, "<serial>sfkvm-hostinfo</serial>") {
		t.Errorf("not set up:\n%s", x)
	}
}

func TestDefaultDriver(t *testing.T) {
	s := open(t, "test:///default")
	ctx := context.Background()
	opts, _ := fixture(t)
	// Connections in one process share test:///default: use a name of our
	// own and undefine it afterwards.
	name := fmt.Sprintf("sfkvm-test-%d", os.Getpid())
	if err := s.Define(ctx, fmt.Sprintf("<domain type='test'><name>%s</name><memory>1024</memory><os><type>hvm</type></os><devices/></domain>", name)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { undefine(t, name) })
	names, err := s.List(ctx)
	if err != nil || !contains(names, name) || !contains(names, "test") {
		t.Errorf("List = %v, %v", names, err)
	}
	rs := migratesetup.SetupGuests(ctx, s, []string{name, "test"}, opts)
	if rs[0].Outcome != migratesetup.SetUp || rs[0].Target != "vda" {
		t.Errorf("%+v", rs[0])
	}
	// The default domain "test" runs.
	if rs[1].Outcome != migratesetup.Refused || rs[1].State != migratesetup.StateRunning {
		t.Errorf("%+v", rs[1])
	}

	// A domain without <devices> is valid (libvirt itself always writes
	// one, so this text is not what libvirt gives back, but what a user
	// may hand in); the edit adds the element, and libvirt takes the
	// result, validated.
	bare := name + "-bare"
	e, err := migratesetup.AddHostInfoDisk(fmt.Sprintf("<domain type='test'>\n  <name>%s</name>\n  <memory>1024</memory>\n  <os><type>hvm</type></os>\n</domain>\n", bare), opts.HostInfoPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Define(ctx, e.XML); err != nil {
		t.Fatalf("libvirt refuses the edit of a domain without <devices>: %v\n%s", err, e.XML)
	}
	t.Cleanup(func() { undefine(t, bare) })
	if x, _ := s.InactiveXML(ctx, bare); !strings.Contains(x, "<serial>sfkvm-hostinfo</serial>") {
		t.Errorf("not set up:\n%s", x)
	}
}

func TestDefineIsValidated(t *testing.T) {
	s := open(t, "test:///default")
	err := s.Define(context.Background(), "<domain type='test'><name>bad</name><memory>lots</memory></domain>")
	if !errors.Is(err, libvirt.ERR_XML_INVALID_SCHEMA) {
		t.Errorf("err = %v, want ERR_XML_INVALID_SCHEMA", err)
	}
}

func TestOpenFails(t *testing.T) {
	open(t, "test:///default") // libvirt is usable at all
	// A missing node file is refused before libvirt hands it to libxml2
	// (which would print an I/O warning on stderr by itself).
	absent := filepath.Join(t.TempDir(), "absent.xml")
	_, err := libvirtstore.Open("test://" + absent)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), absent) {
		t.Errorf("err = %v, want a not-exist error naming %s", err, absent)
	}
	// A folder is not a node file.
	if _, err := libvirtstore.Open("test://" + t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a folder: err = %v", err)
	}
	// A FIFO is refused on its type, at once: a blocking open would hang.
	fifo := filepath.Join(t.TempDir(), "node.xml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := libvirtstore.Open("test://" + fifo); err == nil || !strings.Contains(err.Error(), "not a regular file (a FIFO)") {
		t.Errorf("a FIFO: err = %v", err)
	}
	// A file that is not a node definition is libvirt's to refuse.
	bad := filepath.Join(t.TempDir(), "bad.xml")
	if err := os.WriteFile(bad, []byte("<node><domain/></node>\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = libvirtstore.Open("test://" + bad)
	var le libvirt.Error
	if !errors.As(err, &le) {
		t.Errorf("a bad node file: err = %v, want a libvirt.Error", err)
	}
}

func undefine(t *testing.T, name string) {
	c, err := libvirt.NewConnect("test:///default")
	if err != nil {
		t.Error(err)
		return
	}
	defer c.Close()
	d, err := c.LookupDomainByName(name)
	if err == nil {
		d.Undefine()
		d.Free()
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// counting counts the calls that change a domain's run state.
type counting struct {
	*libvirtstore.Store
	shutdowns, destroys, starts int
}

func (c *counting) Shutdown(ctx context.Context, d string) error {
	c.shutdowns++
	return c.Store.Shutdown(ctx, d)
}
func (c *counting) Destroy(ctx context.Context, d string) error {
	c.destroys++
	return c.Store.Destroy(ctx, d)
}
func (c *counting) Start(ctx context.Context, d string) error {
	c.starts++
	return c.Store.Start(ctx, d)
}

// TestRestartNeverStopsForARefusedDefinition: libvirt refuses the new
// definition of a guest whose own definition already fails the schema.
// With --restart the definition is defined first, so the guest is never
// stopped for it.
func TestRestartNeverStopsForARefusedDefinition(t *testing.T) {
	opts, uri := fixture(t)
	opts.Restart = true
	c := &counting{Store: open(t, uri)}
	ctx := context.Background()
	before, err := c.InactiveXML(ctx, "badschema")
	if err != nil {
		t.Fatal(err)
	}
	r := migratesetup.SetupGuest(ctx, c, "badschema", opts)
	if r.Outcome != migratesetup.Failed || !errors.Is(r.Err, libvirt.ERR_XML_INVALID_SCHEMA) || r.Stopped != "" || r.Started {
		t.Errorf("%+v", r)
	}
	if c.shutdowns+c.destroys+c.starts != 0 {
		t.Errorf("%d shutdowns, %d destroys, %d starts for a definition libvirt refuses", c.shutdowns, c.destroys, c.starts)
	}
	if st, _ := c.State(ctx, "badschema"); st != migratesetup.StateRunning {
		t.Errorf("left %s", st)
	}
	if after, _ := c.InactiveXML(ctx, "badschema"); after != before {
		t.Error("the definition changed")
	}
}

// TestTransientAgainstLibvirt: a transient domain (DomainCreateXML, virsh
// create) is refused with and without --restart, and is still there,
// running, afterwards; before the fix --restart shut it down, and libvirt
// deleted it.
func TestTransientAgainstLibvirt(t *testing.T) {
	s := open(t, "test:///default")
	ctx := context.Background()
	opts, _ := fixture(t)
	name := fmt.Sprintf("sfkvm-transient-%d", os.Getpid())
	c, err := libvirt.NewConnect("test:///default")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d, err := c.DomainCreateXML(fmt.Sprintf("<domain type='test'><name>%s</name><memory>1024</memory><os><type>hvm</type></os><devices/></domain>", name), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Destroy(); d.Free() })
	if p, err := s.Persistent(ctx, name); err != nil || p {
		t.Fatalf("Persistent = %v, %v; want false", p, err)
	}
	if p, err := s.Persistent(ctx, "test"); err != nil || !p {
		t.Errorf("Persistent(test) = %v, %v; want true", p, err)
	}
	if _, err := s.Persistent(ctx, "absent"); !errors.Is(err, migratesetup.ErrNoDomain) {
		t.Errorf("Persistent(absent): %v", err)
	}
	for _, restart := range []bool{false, true} {
		o := opts
		o.Restart, o.Force = restart, restart
		r := migratesetup.SetupGuest(ctx, s, name, o)
		if r.Outcome != migratesetup.Refused || !errors.Is(r.Err, migratesetup.ErrTransient) || strings.Contains(r.Err.Error(), "--restart") {
			t.Errorf("restart %v: %+v", restart, r)
		}
		if st, err := s.State(ctx, name); err != nil || st != migratesetup.StateRunning {
			t.Fatalf("restart %v: the transient domain is %s (%v)", restart, st, err)
		}
	}
	if r := migratesetup.RemoveGuest(ctx, s, name, migratesetup.Options{Restart: true}); !errors.Is(r.Err, migratesetup.ErrTransient) {
		t.Errorf("removal: %+v", r)
	}
}

// TestPausedOrCrashedWithRestart: --restart handles a running guest only;
// a paused one cannot shut down by ACPI, a crashed one is not running.
// Both are refused, naming the state, and nothing is done to them.
func TestPausedOrCrashedWithRestart(t *testing.T) {
	opts, uri := fixture(t)
	opts.Restart, opts.Force = true, true
	c := &counting{Store: open(t, uri)}
	ctx := context.Background()
	for name, st := range map[string]migratesetup.State{"paused": migratesetup.StatePaused, "crashed": migratesetup.StateCrashed} {
		before, _ := c.InactiveXML(ctx, name)
		r := migratesetup.SetupGuest(ctx, c, name, opts)
		if r.Outcome != migratesetup.Refused || r.State != st || !errors.Is(r.Err, migratesetup.ErrNotShutOff) ||
			!strings.Contains(r.Err.Error(), "it is "+st.String()+";") || strings.Contains(r.Err.Error(), "use --restart") {
			t.Errorf("%s: %+v", name, r)
		}
		if now, _ := c.State(ctx, name); now != st {
			t.Errorf("%s: left %s", name, now)
		}
		if after, _ := c.InactiveXML(ctx, name); after != before {
			t.Errorf("%s: the definition changed", name)
		}
	}
	if c.shutdowns+c.destroys+c.starts != 0 {
		t.Errorf("%d shutdowns, %d destroys, %d starts", c.shutdowns, c.destroys, c.starts)
	}
}

// LiveXML is the definition the domain runs with: defining a running
// domain again changes only its persistent definition, until it restarts.
func TestLiveXML(t *testing.T) {
	opts, uri := fixture(t)
	s := open(t, uri)
	ctx := context.Background()
	x, err := s.InactiveXML(ctx, "running")
	if err != nil {
		t.Fatal(err)
	}
	ed, err := migratesetup.AddHostInfoDisk(x, opts.HostInfoPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Define(ctx, ed.XML); err != nil {
		t.Fatal(err)
	}
	live, err := s.LiveXML(ctx, "running")
	if err != nil {
		t.Fatal(err)
	}
	persistent, _ := s.InactiveXML(ctx, "running")
	if strings.Contains(live, migratesetup.Serial) || !strings.Contains(persistent, migratesetup.Serial) || !strings.Contains(live, "<name>running</name>") {
		t.Errorf("live definition:\n%s\npersistent:\n%s", live, persistent)
	}
	if _, err := s.LiveXML(ctx, "absent"); !errors.Is(err, migratesetup.ErrNoDomain) {
		t.Errorf("LiveXML of an unknown domain: %v", err)
	}
}
