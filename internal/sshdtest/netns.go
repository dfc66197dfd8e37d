package sshdtest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/sfkvm/sfkvm/internal/testenv"
	"golang.org/x/sys/unix"
)

// NetNS is a network namespace of the test's own, joined to the test's
// namespace by a veth pair: HostIP on this side, GuestIPs inside. Traffic
// to the guests never leaves the machine.
type NetNS struct {
	Name     string
	HostIP   string
	GuestIPs []string
}

var nsSeq struct {
	sync.Mutex
	n int
}

// NewNetNS makes a namespace with n guest addresses in a /24 of
// 10.231.0.0/16 that no interface uses yet, and removes it when the test
// ends.
func NewNetNS(t testing.TB, n int) *NetNS {
	t.Helper()
	testenv.Root(t, "ip netns")
	ip := testenv.LookPath(t, "ip", "iproute2")
	if n < 1 || n > 250 {
		t.Fatalf("NewNetNS: %d addresses", n)
	}
	run := func(args ...string) error {
		out, err := exec.Command(ip, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	nsSeq.Lock()
	nsSeq.n++
	seq := nsSeq.n
	nsSeq.Unlock()
	tag := fmt.Sprintf("%x%x", os.Getpid()%0xffff, seq)
	ns := &NetNS{Name: "sfkvm-" + tag}
	hostIf, guestIf := "sfkh"+tag, "sfkg"+tag
	sweepOnce(t)
	drop, err := testenv.Own("netns", ns.Name, hostIf)
	if err != nil {
		t.Fatal(err)
	}
	if err := run("netns", "add", ns.Name); err != nil {
		drop()
		testenv.Need(t, false, "network namespaces ("+err.Error()+")", "a kernel and container that allow ip netns add")
	}
	t.Cleanup(testenv.BeforeDeadline(t, "the network namespace "+ns.Name, func() {
		exec.Command(ip, "link", "del", hostIf).Run()
		if err := run("netns", "del", ns.Name); err != nil {
			t.Error(err)
			return
		}
		drop()
	}))
	// Test packages run at once: choose the /24 and claim it under a lock
	// that every process of ours takes.
	lock, err := os.OpenFile("/run/sfkvm-netns.lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	defer unix.Flock(int(lock.Fd()), unix.LOCK_UN)
	used, _ := exec.Command(ip, "-o", "-4", "addr").Output()
	subnet := -1
	for i := 0; i < 256; i++ {
		c := (os.Getpid() + seq*7 + i) % 250
		if !strings.Contains(string(used), fmt.Sprintf(" 10.231.%d.", c)) {
			subnet = c
			break
		}
	}
	if subnet < 0 {
		t.Fatal("no free /24 in 10.231.0.0/16")
	}
	ns.HostIP = fmt.Sprintf("10.231.%d.1", subnet)
	// Two ip processes, not one per step: ip -batch, then ip -n (setns
	// alone, where ip netns exec also makes a mount namespace). Processes
	// are what the suite's set-ups cost (process accounting: fork, exec
	// and page tables were half of this package's callers' CPU).
	outside := fmt.Sprintf("link add %s type veth peer name %s\nlink set %s netns %s\naddr add %s/24 dev %s\nlink set %s up\n",
		hostIf, guestIf, guestIf, ns.Name, ns.HostIP, hostIf, hostIf)
	inside := fmt.Sprintf("link set lo up\nlink set %s up\n", guestIf)
	for i := range n {
		g := fmt.Sprintf("10.231.%d.%d", subnet, i+2)
		ns.GuestIPs = append(ns.GuestIPs, g)
		inside += fmt.Sprintf("addr add %s/24 dev %s\n", g, guestIf)
	}
	for _, b := range []struct {
		args []string
		cmds string
	}{
		{[]string{"-batch", "-"}, outside},
		{[]string{"-n", ns.Name, "-batch", "-"}, inside},
	} {
		cmd := exec.Command(ip, b.args...)
		cmd.Stdin = strings.NewReader(b.cmds)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s (the commands: %q)", strings.Join(b.args, " "), err, out, b.cmds)
		}
	}
	return ns
}
