package migrationtest

import (
	"errors"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/migrate"
	"github.com/sfkvm/sfkvm/migrate/migratetest"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

func TestNodeHandler(t *testing.T) {
	c := migratetest.New("cluster1", "guest1", "guest2")
	disk := []byte("disk bytes")
	var diskErr error
	h := NodeHandler(c, "guest1", func() ([]byte, error) { return disk, diskErr })
	run := func(sudo bool, args ...string) sshtest.Reply {
		return h(sshtest.Command{User: "op", Args: args, Sudo: sudo})
	}
	read := []string{"sh", "-c", migratesetup.GuestReadCommand}
	if r := run(true, read...); r.ExitStatus != 0 || r.Stdout != "disk bytes" {
		t.Errorf("the disk read through sudo: %+v", r)
	}
	if r := run(false, read...); r.ExitStatus == 0 || r.Stdout != "" {
		t.Errorf("the disk read without sudo: %+v", r)
	}
	diskErr = errors.New("read /dev/vda: input/output error")
	if r := run(true, read...); r.ExitStatus == 0 || !strings.Contains(r.Stderr, "input/output error") {
		t.Errorf("a failed disk read: %+v", r)
	}
	for args, want := range map[string]string{
		migrate.DefaultCFTool + " -l": "guest1 ",
		migrate.DefaultCFTool + " -c": "cluster1\n",
		migrate.DefaultCFTool + " -n": "guest2",
		migrate.DefaultCFSet + " -a":  "KEY: CLUSTER_TIMEOUT VALUE: 10\n",
	} {
		if r := run(true, strings.Fields(args)...); r.ExitStatus != 0 || !strings.Contains(r.Stdout, want) {
			t.Errorf("%s: %+v, want %q in stdout", args, r, want)
		}
	}
	if got := c.Log(); len(got) == 0 || !strings.Contains(strings.Join(got, ";"), "guest1: "+migrate.DefaultCFSet+" -a") {
		t.Errorf("the simulation's log: %q", got)
	}
}

func TestClusterConfig(t *testing.T) {
	if got := ClusterConfig("c9"); !strings.Contains(got, `CLUSTER_NAME "c9"`) || strings.Contains(got, "CLUSTER_TIMEOUT") {
		t.Errorf("ClusterConfig = %q", got)
	}
}
