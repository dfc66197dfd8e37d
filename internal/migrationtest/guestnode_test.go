package migrationtest

import (
	"errors"
	"io"
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

// The guest answers sfkvm's lock of the cluster as flock(1) would: held
// until the command's input ends, a second taker refused with 75 naming
// the holder, free again after; unknown commands still fail.
func TestNodeHandlerLock(t *testing.T) {
	c := migratetest.New("cluster1", "guest1", "guest2")
	h := NodeHandler(c, "guest1", func() ([]byte, error) { return nil, nil })
	file := migrate.NodeLockPath("cluster1")
	lock := func(holder string, stdin io.Reader) sshtest.Reply {
		return h(sshtest.Command{User: "op", Sudo: true, Stdin: stdin, Args: []string{"sh", "-c", migrate.LockScript, "sh", file, holder}})
	}
	in, out := io.Pipe()
	r := lock("the first", in)
	if r.ExitStatus != 0 || r.Stdout != "SFKVM-LOCKED\n" || r.Stream == nil {
		t.Fatalf("the first taker: %+v", r)
	}
	ended := make(chan struct{})
	go func() { r.Stream(io.Discard, io.Discard); close(ended) }()
	if r := lock("the second", strings.NewReader("")); r.ExitStatus != 75 || r.Stderr != "held by the first\n" {
		t.Errorf("the second taker: %+v, want 75 naming the first", r)
	}
	if holder, ok := c.Locked("guest1", file); !ok || holder != "the first" {
		t.Errorf("Locked: %q %v", holder, ok)
	}
	out.Close() // the first's input ends: its session ended
	<-ended
	if _, ok := c.Locked("guest1", file); ok {
		t.Error("still held after the holder's input ended")
	}
	if r := lock("the third", strings.NewReader("")); r.ExitStatus != 0 || r.Stdout != "SFKVM-LOCKED\n" {
		t.Errorf("the third taker, after the first let go: %+v", r)
	} else {
		r.Stream(io.Discard, io.Discard) // its input is at its end: it lets go
	}
	if r := h(sshtest.Command{User: "op", Args: []string{"sh", "-c", migrate.LockScript, "sh", file, "x"}}); r.ExitStatus == 0 {
		t.Errorf("the lock without sudo: %+v, want refused", r)
	}
	for _, args := range [][]string{{"flock", "-n", file, "true"}, {"lock", file}} {
		if r := h(sshtest.Command{User: "op", Sudo: true, Args: args}); r.ExitStatus != 127 {
			t.Errorf("%q, a command it does not know: %+v, want 127", args, r)
		}
	}
}
