package migrationtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/sdfacility/sdtest"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// ClusterConfigPath is where PRIMECLUSTER keeps the CF settings that
// cfset -r loads (SPEC section 3).
const ClusterConfigPath = "/etc/default/cluster.config"

// ClusterConfig is the /etc/default/cluster.config of a freshly
// configured node as far as the manuals show it: the CF remote copy and
// shell programs, and no CLUSTER_TIMEOUT (CF's default of 10 s holds).
// The exact content of a real file is not public; what matters to sfkvm
// is that it comes back byte for byte after a guarded migration.
const ClusterConfig = `# /etc/default/cluster.config: CF settings read by cfset -r
CFCP "cfcp"
CFSH "cfsh"
`

// DefaultClusterTimeout is CLUSTER_TIMEOUT when cluster.config does not
// set it: the CF heartbeat timeout of 10 s (Installation Guide 11.3.1).
const DefaultClusterTimeout = "10"

// NodeConfig describes one simulated node of a guest cluster.
type NodeConfig struct {
	Name    string   // CF node name (cftool -l)
	Cluster string   // cluster name (cftool -c)
	Nodes   []string // every node of the cluster, as cftool -n lists them
	// ConfigFile is the real file that stands for ClusterConfigPath: the
	// path itself in the guest, a temporary file for the in-process node.
	ConfigFile string
	// ReadDisk is what `sh -c GuestReadCommand` prints: the raw start of
	// the host information disk (the guest's real disk, read with
	// O_DIRECT; a file for the in-process node).
	ReadDisk func() ([]byte, error)
}

// Node is one simulated PRIMECLUSTER node of a guest cluster, answering
// over SSH (an sshtest.Handler) what sfkvm sends to a guest: the read of
// the host information disk, cftool -n/-l/-c, sdtool -s/-e/-b (package
// sdtest's model), cfset -r/-a, and cat and tee of cluster.config. Each
// node's facility and CF module are its own, as on real nodes: sdtool -e
// on one node stops that node's daemon only.
type Node struct {
	cfg NodeConfig
	sd  *sdtest.Sim

	mu     sync.Mutex
	loaded map[string]string // what the CF module holds (cfset -r)
	keys   []string          // their order in the file
	calls  []string
}

// NewNode returns a node whose facility runs with every agent ready and
// whose CF module has loaded its ConfigFile.
func NewNode(cfg NodeConfig) (*Node, error) {
	var nodes []sdtest.Node
	for _, n := range cfg.Nodes {
		nodes = append(nodes, sdtest.Node{Name: n, Agents: []string{"SA_libvirtgp", "SA_libvirtgr"}})
	}
	n := &Node{cfg: cfg, sd: sdtest.New(sdtest.Config{Nodes: nodes, Running: true, LocalNode: cfg.Name, Cluster: cfg.Cluster})}
	if err := n.reload(); err != nil {
		return nil, err
	}
	return n, nil
}

// Calls returns every command the node ran, as "cfset -r", in order.
func (n *Node) Calls() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.calls...)
}

// Loaded returns the value of key in the CF module ("" when unset).
func (n *Node) Loaded(key string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.loaded[key]
}

// SDRunning reports whether the node's shutdown facility runs.
func (n *Node) SDRunning() bool { return n.sd.Running() }

// Handler answers one command; give it to sshtest.Config.Handler.
// Commands that need root answer as the real ones do without it.
func (n *Node) Handler(c sshtest.Command) sshtest.Reply {
	line := strings.Join(c.Args, " ")
	n.mu.Lock()
	n.calls = append(n.calls, line)
	n.mu.Unlock()
	root := c.Sudo || c.User == "root"
	if len(c.Args) == 0 {
		return sshtest.Builtin(c)
	}
	switch name := c.Args[0]; {
	case line == "sh -c "+migratesetup.GuestReadCommand:
		if !root {
			return sshtest.Reply{Stderr: "dd: failed to open the host information disk: Permission denied\n", ExitStatus: 1}
		}
		b, err := n.cfg.ReadDisk()
		if err != nil {
			return sshtest.Reply{Stderr: "dd: " + err.Error() + "\n", ExitStatus: 1}
		}
		return sshtest.Reply{Stdout: string(b)}
	case name == "cftool" && line == "cftool -n":
		var b strings.Builder
		b.WriteString("Node     Number State       Os      Cpu\n")
		for i, node := range n.cfg.Nodes {
			fmt.Fprintf(&b, "%-8s %-6d %-11s Linux   EM64T\n", node, i+1, "UP")
		}
		return sshtest.Reply{Stdout: b.String()}
	case name == "cftool" || name == "sdtool" || name == "/opt/SMAW/bin/sdtool":
		if name != "cftool" && !root {
			return sshtest.Reply{Stderr: "sdtool: must be run as root\n", ExitStatus: 1}
		}
		out, errOut, code, err := n.sd.Run(context.Background(), name, c.Args[1:]...)
		if err != nil {
			return sshtest.NotFound(name)
		}
		return sshtest.Reply{Stdout: string(out), Stderr: string(errOut), ExitStatus: code}
	case name == "cfset":
		return n.cfset(c.Args[1:], root)
	case name == "cat" && len(c.Args) == 2 && c.Args[1] == ClusterConfigPath:
		b, err := os.ReadFile(n.cfg.ConfigFile)
		if err != nil {
			return sshtest.Reply{Stderr: "cat: " + ClusterConfigPath + ": No such file or directory\n", ExitStatus: 1}
		}
		return sshtest.Reply{Stdout: string(b)}
	case name == "tee":
		return n.tee(c, root)
	}
	return sshtest.Builtin(c)
}

// tee writes stdin to cluster.config (tee FILE, tee -a FILE), echoing it
// as tee does. Any other file is refused: the node has no other.
func (n *Node) tee(c sshtest.Command, root bool) sshtest.Reply {
	args := c.Args[1:]
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if len(args) == 2 && args[0] == "-a" {
		flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		args = args[1:]
	}
	if len(args) != 1 || args[0] != ClusterConfigPath {
		return sshtest.Reply{Stderr: "tee: only " + ClusterConfigPath + " can be written on this simulated node\n", ExitStatus: 1}
	}
	if !root {
		return sshtest.Reply{Stderr: "tee: " + ClusterConfigPath + ": Permission denied\n", ExitStatus: 1}
	}
	var in []byte
	if c.Stdin != nil {
		b, err := io.ReadAll(io.LimitReader(c.Stdin, 1<<20))
		if err != nil {
			return sshtest.Reply{Stderr: "tee: standard input: " + err.Error() + "\n", ExitStatus: 1}
		}
		in = b
	}
	f, err := os.OpenFile(n.cfg.ConfigFile, flag, 0o644)
	if err != nil {
		return sshtest.Reply{Stderr: "tee: " + err.Error() + "\n", ExitStatus: 1}
	}
	_, werr := f.Write(in)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return sshtest.Reply{Stderr: "tee: " + werr.Error() + "\n", ExitStatus: 1}
	}
	return sshtest.Reply{Stdout: string(in)}
}

// cfset -r loads cluster.config into the CF module (the last line of a
// key wins, as when CLUSTER_TIMEOUT "600" is appended); cfset -a prints
// what the module holds:
//
//	From cfset configuration in CF module:
//	KEY: CLUSTER_TIMEOUT VALUE: 600  (SPEC section 3)
func (n *Node) cfset(args []string, root bool) sshtest.Reply {
	if !root {
		return sshtest.Reply{Stderr: "cfset: must be run as root\n", ExitStatus: 1}
	}
	switch strings.Join(args, " ") {
	case "-r":
		if err := n.reload(); err != nil {
			return sshtest.Reply{Stderr: "cfset: " + err.Error() + "\n", ExitStatus: 1}
		}
		return sshtest.Reply{}
	case "-a":
		n.mu.Lock()
		defer n.mu.Unlock()
		var b strings.Builder
		b.WriteString("From cfset configuration in CF module:\n")
		for _, k := range n.keys {
			fmt.Fprintf(&b, "KEY: %s VALUE: %s\n", k, n.loaded[k])
		}
		return sshtest.Reply{Stdout: b.String()}
	}
	return sshtest.Reply{Stderr: "usage: cfset [-r | -a | -f KEY VALUE | -o KEY]\n", ExitStatus: 1}
}

// reload parses ConfigFile: KEY "VALUE" lines, # comments.
func (n *Node) reload() error {
	f, err := os.Open(n.cfg.ConfigFile)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", ClusterConfigPath, err)
	}
	defer f.Close()
	loaded := map[string]string{"CLUSTER_TIMEOUT": DefaultClusterTimeout}
	keys := []string{}
	s := bufio.NewScanner(f)
	for no := 1; s.Scan(); no++ {
		l := strings.TrimSpace(s.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, v, ok := strings.Cut(l, " ")
		v = strings.TrimSpace(v)
		if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return fmt.Errorf("%s line %d: want KEY \"VALUE\", got %q", ClusterConfigPath, no, l)
		}
		if !contains(keys, k) {
			keys = append(keys, k)
		}
		loaded[k] = v[1 : len(v)-1]
	}
	if err := s.Err(); err != nil {
		return err
	}
	if !contains(keys, "CLUSTER_TIMEOUT") {
		keys = append(keys, "CLUSTER_TIMEOUT")
	}
	n.mu.Lock()
	n.loaded, n.keys = loaded, keys
	n.mu.Unlock()
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
