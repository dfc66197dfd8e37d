package lab

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/safefile"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/sdfacility/sdtest"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// Files are what a command in another process needs to reach a prepared
// lab, each in the lab's folder: WriteFiles writes them, the lab must
// stay open while they are used.
type Files struct {
	Routes       string // WriteRoutes' file: each documentation address and its server
	Key          string // the key that opens the file's sealed tokens
	HostPassword string // root's password on both hosts (Host2Password), one line
	SDTool       string // scripts that answer as the simulated tools answered
	CFTool       string
	// Libvirt is a test driver fixture of this host's domains as Prepare
	// left them (its URI: "test://" + Libvirt); empty when the lab keeps
	// its domains in an in-memory store, which no other process can read.
	Libvirt string
	// HostKnownHosts holds both hosts' keys, as 192.0.2.1 and 192.0.2.2:
	// for --host-known-hosts.
	HostKnownHosts string
	// Hosts are both hosts' own files, this host's first: what sfkvm
	// preflight run as that host names (a PreflightFunc's flags).
	Hosts []HostFiles
}

// HostFiles are one lab host's files, in the lab's folder.
type HostFiles struct {
	Name, IP string // its CF node name and address
	File     string // its kvmguests.conf
	HostInfo string // its registration
	CFTool   string // a script that answers cftool -l and -c as that host
	Libvirt  string // its domains' test driver fixture, or "" (see Files.Libvirt)
	Other    string // the other host's address, its --hosts
}

// Host returns the files of the host of that CF name.
func (f Files) Host(name string) (HostFiles, bool) {
	for _, h := range f.Hosts {
		if h.Name == name {
			return h, true
		}
	}
	return HostFiles{}, false
}

// WriteFiles writes the lab's Files into its folder, after Prepare. The
// scripts answer what the simulated facility answers now (sdtool -s,
// cftool -l and -c); the fixture holds the domains' definitions and states now.
func (l *Lab) WriteFiles(ctx context.Context) (Files, error) {
	f := Files{
		Routes: filepath.Join(l.Dir, "routes"), Key: filepath.Join(l.Dir, "sfkvm.key"),
		HostPassword: filepath.Join(l.Dir, "host2-password"),
		SDTool:       filepath.Join(l.Dir, "sdtool"), CFTool: filepath.Join(l.Dir, "cftool"),
	}
	if err := l.WriteRoutes(f.Routes); err != nil {
		return f, err
	}
	if err := cipher.WriteKeyFile(f.Key, l.Key); err != nil {
		return f, err
	}
	if err := safefile.CreateFile(f.HostPassword, append(slices.Clone(l.Host2Password), '\n')); err != nil {
		return f, err
	}
	h2 := HostFiles{Name: Host2Name, IP: Host2IP, File: l.Host2File, HostInfo: l.Host2Info,
		CFTool: filepath.Join(l.Dir, Host2Name, "cftool"), Other: HostIP}
	// cfhost2's cftool: the same cluster, its own node.
	cf2 := sdtest.New(sdtest.Config{Nodes: []sdtest.Node{{Name: HostName}, {Name: Host2Name}}, LocalNode: Host2Name, Cluster: "hostcluster"})
	for _, t := range []struct {
		path, sim string
		args      []string
		runner    *sdtest.Sim
		host      string
	}{{f.SDTool, SDTool, []string{"-s"}, l.Facility, HostName}, {f.CFTool, CFTool, []string{"-l", "-c"}, l.Facility, HostName},
		{h2.CFTool, CFTool, []string{"-l", "-c"}, cf2, Host2Name}} {
		if err := writeTool(ctx, t.runner, t.host, t.path, t.sim, t.args); err != nil {
			return f, err
		}
	}
	if strings.HasPrefix(l.StoreName, "libvirt's test driver") {
		// This build reads a test driver fixture: the other host's
		// in-memory store is written as one too.
		f.Libvirt = filepath.Join(l.Dir, "libvirt-kept.xml")
		h2.Libvirt = filepath.Join(l.Dir, Host2Name, "libvirt-kept.xml")
		if err := l.writeFixture(ctx, f.Libvirt, l.Store, l.hostDomains(true)); err != nil {
			return f, err
		}
		if err := l.writeFixture(ctx, h2.Libvirt, l.Host2Store, l.hostDomains(false)); err != nil {
			return f, err
		}
	}
	f.HostKnownHosts = filepath.Join(l.Dir, "host_known_hosts")
	keys := "# sfkvm lab: the keys of its hosts\n" + l.Host1.KnownHostsLine(HostIP+":22") + "\n" + l.Host2.KnownHostsLine(Host2IP+":22") + "\n"
	if err := safefile.CreateFile(f.HostKnownHosts, []byte(keys)); err != nil {
		return f, err
	}
	f.Hosts = []HostFiles{{Name: HostName, IP: HostIP, File: l.File, HostInfo: l.HostInfo, CFTool: f.CFTool, Libvirt: f.Libvirt, Other: Host2IP}, h2}
	return f, nil
}

// hostDomains are the domains of this host (here) or of the other.
func (l *Lab) hostDomains(here bool) []string {
	var names []string
	for _, g := range l.Guests {
		if g.Here == here {
			names = append(names, g.Name)
		}
	}
	if here && l.set.unlisted != "" {
		names = append(names, l.set.unlisted)
	}
	return names
}

// writeTool writes a shell script that prints what the simulated tool
// prints for each of args, and refuses other arguments (exit 2).
func writeTool(ctx context.Context, sim *sdtest.Sim, host, path, name string, args []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/sh\n# %s of %s in the sfkvm lab, as the simulated one answered when the lab was kept.\ncase \"$*\" in\n", filepath.Base(name), host)
	for _, a := range args {
		stdout, stderr, code, err := sim.Run(ctx, name, a)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s) printf '%%s' %s; printf '%%s' %s >&2; exit %d ;;\n", a, shellQuote(string(stdout)), shellQuote(string(stderr)), code)
	}
	fmt.Fprintf(&b, "*) echo \"%s (sfkvm lab): only %s\" >&2; exit 2 ;;\nesac\n", filepath.Base(name), strings.Join(args, ", "))
	if err := os.WriteFile(path, []byte(b.String()), 0o700); err != nil {
		return err
	}
	return os.Chmod(path, 0o700) // whatever the umask
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// writeFixture writes the domains named as the store holds them
// now, in their state now, in the test driver's format.
func (l *Lab) writeFixture(ctx context.Context, path string, store migratesetup.Store, names []string) error {
	var b strings.Builder
	b.WriteString("<node>\n")
	for _, n := range names {
		x, err := store.InactiveXML(ctx, n)
		if err != nil {
			return err
		}
		start := strings.Index(x, "<domain")
		end := strings.LastIndex(x, "</domain>")
		if start < 0 || end < start {
			return fmt.Errorf("lab: domain %s: no <domain> element in its definition", n)
		}
		// The test driver's run state is libvirt's, as State's numbers are.
		st, err := store.State(ctx, n)
		if err != nil {
			return err
		}
		x = x[start : end+len("</domain>")]
		x = strings.Replace(x, "<domain", "<domain xmlns:test='http://libvirt.org/schemas/domain/test/1.0'", 1)
		x = strings.TrimSuffix(x, "</domain>") + fmt.Sprintf("  <test:runstate>%d</test:runstate>\n</domain>\n", int(st))
		b.WriteString(x)
	}
	b.WriteString("</node>\n")
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// The lab's routes go only from documentation addresses to loopback.
var (
	routeFrom = netip.MustParsePrefix("192.0.2.0/24") // TEST-NET-1 (RFC 5737): never a real host
	routeTo   = netip.MustParsePrefix("127.0.0.0/8")
)

// ErrRoute: a line of a routes file that is not an address of
// 192.0.2.0/24 and one of 127.0.0.0/8, each with its port.
var ErrRoute = errors.New("a route must go from 192.0.2.0/24 (TEST-NET-1) to 127.0.0.0/8")

// RouteError is a refused line of a routes file.
type RouteError struct {
	Path string
	Line int
	Err  error
}

func (e *RouteError) Error() string { return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err) }
func (e *RouteError) Unwrap() error { return e.Err }

// WriteRoutes writes the lab's routes to a new file at path (mode 0600),
// one "FROM TO" line each, such as "192.0.2.11:22 127.0.0.1:40321", in
// the order of the addresses: ReadRoutes reads it in another process.
func (l *Lab) WriteRoutes(path string) error {
	var b strings.Builder
	b.WriteString("# sfkvm lab routes: documentation addresses (192.0.2.0/24) to the lab's servers on loopback\n")
	for _, from := range slices.Sorted(maps.Keys(l.Routes)) {
		fmt.Fprintf(&b, "%s %s\n", from, l.Routes[from])
	}
	return safefile.CreateFile(path, []byte(b.String()))
}

// ReadRoutes reads a routes file that WriteRoutes wrote, through the
// guarded open of sfkvm's secrets: a regular file, not a symbolic link,
// owned by root or the caller, no permission for group or others
// (internal/safefile's errors). Every route must go from an address of
// 192.0.2.0/24, which is never a real host, to one of 127.0.0.0/8, or the
// whole file is refused (a RouteError wrapping ErrRoute): a routes file
// can send a command only to this machine.
func ReadRoutes(path string) (sshtest.Routes, error) {
	f, err := safefile.OpenPrivate(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseRoutes(io.LimitReader(f, 1<<20), path)
}

func parseRoutes(r io.Reader, name string) (sshtest.Routes, error) {
	routes := sshtest.Routes{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, &RouteError{name, n, fmt.Errorf("%w: want two fields, FROM TO", ErrRoute)}
		}
		from, err1 := netip.ParseAddrPort(fields[0])
		to, err2 := netip.ParseAddrPort(fields[1])
		switch {
		case err1 != nil || err2 != nil:
			return nil, &RouteError{name, n, fmt.Errorf("%w: want ADDRESS:PORT twice", ErrRoute)}
		case !routeFrom.Contains(from.Addr()):
			return nil, &RouteError{name, n, fmt.Errorf("%w: %s is outside 192.0.2.0/24", ErrRoute, from.Addr())}
		case !routeTo.Contains(to.Addr()):
			return nil, &RouteError{name, n, fmt.Errorf("%w: %s is outside 127.0.0.0/8", ErrRoute, to.Addr())}
		case from.Port() == 0 || to.Port() == 0:
			return nil, &RouteError{name, n, fmt.Errorf("%w: port 0", ErrRoute)}
		}
		if _, dup := routes[from.String()]; dup {
			return nil, &RouteError{name, n, fmt.Errorf("%w: %s twice", ErrRoute, from)}
		}
		routes[from.String()] = to.String()
	}
	if err := sc.Err(); err != nil {
		return nil, &RouteError{name, n + 1, fmt.Errorf("%w: %w", ErrRoute, err)}
	}
	if len(routes) == 0 {
		return nil, &RouteError{name, n, fmt.Errorf("%w: no route in the file", ErrRoute)}
	}
	return routes, nil
}
