package migrationtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/sdfacility"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

func newTestNode(t *testing.T) (*Node, string) {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "cluster.config")
	if err := os.WriteFile(conf, []byte(ClusterConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := NewNode(NodeConfig{Name: "guest1", Cluster: "cluster1", Nodes: []string{"guest1", "guest2"}, ConfigFile: conf,
		ReadDisk: func() ([]byte, error) { return []byte("disk bytes"), nil }})
	if err != nil {
		t.Fatal(err)
	}
	return n, conf
}

func run(n *Node, sudo bool, line, stdin string) sshtest.Reply {
	_, args, _ := sshtest.SplitCommand(line)
	return n.Handler(sshtest.Command{User: "op", Args: args, Sudo: sudo, Stdin: strings.NewReader(stdin)})
}

// The manual's guarded migration, step by step, on one node: the timeout
// raised and confirmed, the facility stopped; then all of it undone.
func TestNodeGuardedMigration(t *testing.T) {
	n, conf := newTestNode(t)
	step := func(line, stdin string, wantStatus int, wantOut string) {
		t.Helper()
		r := run(n, true, line, stdin)
		if r.ExitStatus != wantStatus || !strings.Contains(r.Stdout, wantOut) {
			t.Fatalf("%s: status %d, stdout %q, stderr %q; want status %d and %q", line, r.ExitStatus, r.Stdout, r.Stderr, wantStatus, wantOut)
		}
	}
	step("cftool -n", "", 0, "guest2   2      UP")
	step("cftool -l", "", 0, "guest1")
	step("cftool -c", "", 0, "cluster1")
	step("cfset -a", "", 0, "KEY: CLUSTER_TIMEOUT VALUE: 10\n")
	step("cat "+ClusterConfigPath, "", 0, ClusterConfig)
	step("sdtool -e", "", 0, "")
	step("tee -a "+ClusterConfigPath, "CLUSTER_TIMEOUT \"600\"\n", 0, "600")
	step("cfset -a", "", 0, "VALUE: 10\n") // not loaded yet
	step("cfset -r", "", 0, "")
	step("cfset -a", "", 0, "KEY: CLUSTER_TIMEOUT VALUE: 600\n")
	if n.SDRunning() {
		t.Fatal("the facility runs after sdtool -e")
	}
	step("tee "+ClusterConfigPath, ClusterConfig, 0, "")
	step("cfset -r", "", 0, "")
	step("cfset -a", "", 0, "VALUE: 10\n")
	step("sdtool -b", "", 0, "")
	var st *sdfacility.Status
	for range 5 {
		r := run(n, true, "sdtool -s", "")
		if st = sdfacility.ParseStatus([]byte(r.Stdout)); st.Ready() {
			break
		}
	}
	if !st.Ready() {
		t.Fatalf("sdtool -s after sdtool -b: %s", st.Summary())
	}
	if b, _ := os.ReadFile(conf); string(b) != ClusterConfig {
		t.Errorf("cluster.config = %q", b)
	}
	if got := strings.Join(n.Calls(), "; "); !strings.HasPrefix(got, "cftool -n; cftool -l") {
		t.Errorf("calls = %s", got)
	}
}

func TestNodeNeedsRoot(t *testing.T) {
	n, conf := newTestNode(t)
	for _, line := range []string{"cfset -r", "sdtool -e", "tee " + ClusterConfigPath, "sh -c " + shellQuote(migratesetup.GuestReadCommand)} {
		if r := run(n, false, line, "x"); r.ExitStatus == 0 {
			t.Errorf("%s without sudo: exit 0", line)
		}
	}
	if b, _ := os.ReadFile(conf); string(b) != ClusterConfig {
		t.Errorf("a refused tee wrote cluster.config: %q", b)
	}
	if !n.SDRunning() {
		t.Error("a refused sdtool -e stopped the facility")
	}
	if r := run(n, true, "sh -c "+shellQuote(migratesetup.GuestReadCommand), ""); r.Stdout != "disk bytes" {
		t.Errorf("the disk read = %+v", r)
	}
}

func TestNodeBadConfig(t *testing.T) {
	n, conf := newTestNode(t)
	if err := os.WriteFile(conf, []byte("CLUSTER_TIMEOUT 600\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(n, true, "cfset -r", "")
	if r.ExitStatus == 0 || !strings.Contains(r.Stderr, "line 1") {
		t.Errorf("cfset -r of an unquoted value: %+v", r)
	}
	if r := run(n, true, "tee /etc/passwd", "x"); r.ExitStatus == 0 {
		t.Error("tee wrote another file")
	}
}

func shellQuote(s string) string { return "'" + s + "'" }
