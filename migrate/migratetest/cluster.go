package migratetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"strings"
	"sync"

	"github.com/sfkvm/sfkvm/migrate"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/sdfacility/sdtest"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// InitialConfig is a real-looking cluster.config without a timeout line
// (CF then runs with its default, 10 s).
const InitialConfig = "CFCP \"cfcp\"\nCFSH \"cfsh\"\nCLUSTER_NAME \"%s\"\n"

// Node is one simulated cluster node.
type Node struct {
	CFName string
	// Up is what cftool -n shows for it (UP or DOWN).
	Up bool
	// Config is its /etc/default/cluster.config; Timeout what CF has
	// loaded (cfset -r reads the file's last CLUSTER_TIMEOUT; "10" when
	// there is none).
	Config  []byte
	Timeout string
	// Facility: whether the shutdown facility runs; Warming is how many
	// sdtool -s reads after sdtool -b show the agents still initialising.
	Facility bool
	Warming  int
	// Fault, when set, is asked first for every command (its words joined
	// by spaces); ok true answers with its reply instead of the simulation.
	Fault func(cmd string) (r sshtest.Reply, ok bool)
	// Disk, when set, returns the bytes of the guest's host information
	// disk (the file of the host it runs on); nil: no disk (exit 66).
	Disk func() []byte
	// locks are the node's flock(1) locks taken by migrate.LockScript:
	// file to holder.
	locks map[string]string
}

// Cluster is the shared state of a simulated guest cluster.
type Cluster struct {
	Name  string
	mu    sync.Mutex
	nodes []*Node
	log   []string
}

// New returns a cluster of the named nodes, all UP, facility running and
// ready, each with InitialConfig and CF's default timeout.
func New(name string, cfnames ...string) *Cluster {
	c := &Cluster{Name: name}
	for _, n := range cfnames {
		c.nodes = append(c.nodes, &Node{CFName: n, Up: true, Config: []byte(fmt.Sprintf(InitialConfig, name)), Timeout: "10", Facility: true})
	}
	return c
}

// Do runs f on a node with the cluster locked (to set a fault, read the
// state).
func (c *Cluster) Do(cfname string, f func(n *Node)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.nodes {
		if n.CFName == cfname {
			f(n)
			return
		}
	}
	panic("migratetest: no node " + cfname)
}

// Node returns a copy of a node's state.
func (c *Cluster) Node(cfname string) Node {
	var out Node
	c.Do(cfname, func(n *Node) { out = *n; out.Config, out.locks = bytes.Clone(n.Config), maps.Clone(n.locks) })
	return out
}

// Locked returns the holder of a lock file on a node (migrate.LockScript's
// HOLDER) and whether it is held.
func (c *Cluster) Locked(cfname, file string) (holder string, ok bool) {
	c.Do(cfname, func(n *Node) { holder, ok = n.locks[file] })
	return holder, ok
}

// Log returns every command the nodes ran, as "CFNAME: words".
func (c *Cluster) Log() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.log...)
}

// Handler answers node cfname's commands; anything it does not simulate
// goes to next (sshtest.Builtin when nil). The paths are package
// migrate's defaults.
func (c *Cluster) Handler(cfname string, next sshtest.Handler) sshtest.Handler {
	if next == nil {
		next = sshtest.Builtin
	}
	return func(cmd sshtest.Command) sshtest.Reply {
		words := strings.Join(cmd.Args, " ")
		if cmd.User != "root" && !cmd.Sudo {
			return sshtest.Reply{Stderr: "permission denied\n", ExitStatus: 1}
		}
		// Read stdin before the lock: the client sends it while we wait.
		var stdin []byte
		if len(cmd.Args) == 6 && cmd.Args[0] == "sh" && cmd.Args[2] == migrate.WriteScript && cmd.Stdin != nil {
			stdin, _ = io.ReadAll(cmd.Stdin)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		var self *Node
		for _, n := range c.nodes {
			if n.CFName == cfname {
				self = n
			}
		}
		if len(cmd.Args) == 6 && cmd.Args[2] == migrate.WriteScript {
			words = "write " + cmd.Args[4]
		}
		if cmd.Args[0] == "sh" && len(cmd.Args) == 3 && cmd.Args[2] == migratesetup.GuestReadCommand {
			words = "readdisk"
		}
		isLock := len(cmd.Args) == 6 && cmd.Args[0] == "sh" && cmd.Args[1] == "-c" && cmd.Args[2] == migrate.LockScript
		if isLock {
			words = "lock " + cmd.Args[4]
		}
		c.log = append(c.log, cfname+": "+words)
		if self.Fault != nil {
			if r, ok := self.Fault(words); ok {
				return r
			}
		}
		if isLock {
			return c.lock(self, cmd)
		}
		switch words {
		case migrate.DefaultCFTool + " -n":
			var b strings.Builder
			b.WriteString("Node        Number State       Os      Cpu\n")
			for i, n := range c.nodes {
				st := "UP"
				if !n.Up {
					st = "DOWN"
				}
				fmt.Fprintf(&b, "%-11s %-6d %-11s Linux   EM64T\n", n.CFName, i+1, st)
			}
			return sshtest.Reply{Stdout: b.String()}
		case migrate.DefaultSDTool + " -s":
			if !self.Facility {
				return sshtest.Reply{Stderr: "sdtool: the shutdown daemon is not running\n", ExitStatus: 1}
			}
			var b strings.Builder
			b.WriteString(sdtest.Header + "\n" + sdtest.Dashes + "\n")
			for _, n := range c.nodes {
				for _, a := range []string{"SA_libvirtgp", "SA_libvirtgr"} {
					if self.Warming > 0 {
						fmt.Fprintf(&b, "%-15s %-13s %-13s %-11s %-11s %s\n", n.CFName, a, "Init-ing", "Unknown", "Unknown", "Init-ing")
					} else {
						fmt.Fprintf(&b, "%-15s %-13s %-13s %-11s %-11s %s\n", n.CFName, a, "TestWorked", "Unknown", "TestWorked", "InitWorked")
					}
				}
			}
			if self.Warming > 0 {
				self.Warming--
			}
			return sshtest.Reply{Stdout: b.String()}
		case migrate.DefaultSDTool + " -e":
			if !self.Facility {
				return sshtest.Reply{Stderr: "sdtool: the shutdown daemon is not running\n", ExitStatus: 1}
			}
			self.Facility = false
			return sshtest.Reply{}
		case migrate.DefaultSDTool + " -b":
			if self.Facility {
				return sshtest.Reply{Stderr: "sdtool: the shutdown daemon is already running\n", ExitStatus: 1}
			}
			self.Facility, self.Warming = true, 1
			return sshtest.Reply{}
		case migrate.DefaultCFSet + " -r":
			self.Timeout = "10"
			for _, l := range strings.Split(string(self.Config), "\n") {
				if f := strings.Fields(l); len(f) == 2 && f[0] == "CLUSTER_TIMEOUT" {
					self.Timeout = strings.Trim(f[1], `"`)
				}
			}
			return sshtest.Reply{}
		case migrate.DefaultCFSet + " -a":
			return sshtest.Reply{Stdout: "From cfset configuration in CF module:\nKEY: CFCP VALUE: cfcp\nKEY: CFSH VALUE: cfsh\nKEY: CLUSTER_TIMEOUT VALUE: " + self.Timeout + "\n"}
		case "cat -- " + migrate.DefaultClusterConfig:
			return sshtest.Reply{Stdout: string(self.Config)}
		case "write " + migrate.DefaultClusterConfig:
			sum := sha256.Sum256(stdin)
			h := hex.EncodeToString(sum[:])
			if h != cmd.Args[5] {
				return sshtest.Reply{Stderr: "the copy received differs from the one sent (sha256 " + h + ")\n", ExitStatus: 6}
			}
			self.Config = stdin
			return sshtest.Reply{Stdout: h + "\n"}
		case "readdisk":
			if self.Disk == nil {
				return sshtest.Reply{Stderr: "sfkvm: no host information disk (no block device with the serial " + migratesetup.Serial + ")\n", ExitStatus: 66}
			}
			return sshtest.Reply{Stdout: string(self.Disk())}
		}
		return next(cmd)
	}
}

// lock answers migrate.LockScript as flock(1) would, c.mu held: exit 75
// naming the holder when the file is held; else held (SFKVM-LOCKED) until
// the command's input ends, when the client lets go, dies, or its
// connection breaks.
func (c *Cluster) lock(self *Node, cmd sshtest.Command) sshtest.Reply {
	file, holder := cmd.Args[4], cmd.Args[5]
	if h, held := self.locks[file]; held {
		return sshtest.Reply{Stderr: "held by " + h + "\n", ExitStatus: 75}
	}
	if self.locks == nil {
		self.locks = map[string]string{}
	}
	self.locks[file] = holder
	return sshtest.Reply{Stdout: "SFKVM-LOCKED\n", Stream: func(io.Writer, io.Writer) {
		if cmd.Stdin != nil {
			io.Copy(io.Discard, cmd.Stdin)
		}
		c.mu.Lock()
		delete(self.locks, file)
		c.mu.Unlock()
	}}
}
