package libvirtdtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/testenv"
)

// Install is how to get what Start needs on Debian.
const Install = "apt-get install --no-install-recommends libvirt-daemon libvirt-daemon-driver-qemu qemu-system-x86"

// Daemon is a running session libvirtd.
type Daemon struct {
	// Dir holds everything of the daemon: run/ (XDG_RUNTIME_DIR, its
	// sockets), config/, cache/, home/, libvirtd.log.
	Dir string
	// Socket is the daemon's socket (run/libvirt/libvirt-sock).
	Socket string
	// URI names the daemon for libvirt's clients and for rpcstore:
	// qemu+unix:///session?socket=SOCKET.
	URI string

	cmd      *exec.Cmd
	done     chan struct{}
	stopOnce sync.Once
}

// Options are how a daemon differs from the default one.
type Options struct {
	// HostUUID, when set, is the host UUID the daemon reports (host_uuid
	// in its libvirtd.conf). Two daemons between which a test migrates
	// need two: libvirt refuses to migrate a guest to its own host, which
	// it tells by this UUID, otherwise read from the machine's firmware
	// and the same for every daemon on it.
	HostUUID string
}

// Start starts a daemon and stops it when t ends. It skips (fails under
// SFKVM_INTEGRATION=1) when libvirtd, its QEMU driver or QEMU is missing.
func Start(t testing.TB) *Daemon {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith is Start with options.
func StartWith(t testing.TB, o Options) *Daemon {
	t.Helper()
	libvirtd := testenv.LookPath(t, "libvirtd", "libvirt-daemon")
	drivers, _ := filepath.Glob("/usr/lib/*/libvirt/connection-driver/libvirt_driver_qemu.so")
	testenv.Need(t, len(drivers) > 0, "libvirt's QEMU driver (libvirt_driver_qemu.so)", "apt-get install --no-install-recommends libvirt-daemon-driver-qemu")
	testenv.LookPath(t, "qemu-system-x86_64", "qemu-system-x86")

	// A short folder right under /tmp, not t.TempDir(): QEMU's monitor
	// sockets go deep below it, and a UNIX socket's path has at most 107
	// bytes (a test name and a TMPDIR of the test binary's own made them
	// too long). Recorded, so that a killed test binary's is swept.
	dir, err := os.MkdirTemp("/tmp", "sfkvm-lv-")
	if err != nil {
		t.Fatal(err)
	}
	drop, err := testenv.Own("tmpdir", filepath.Base(dir), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Error(err)
		}
		drop()
	})
	d := &Daemon{Dir: dir, done: make(chan struct{})}
	for _, sub := range []string{"run", "config/libvirt", "cache", "home"} {
		if err := os.MkdirAll(filepath.Join(d.Dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// Guests' consoles and QEMU's output in plain files: no virtlogd, which
	// a session daemon would otherwise start, and which would outlive it.
	if err := os.WriteFile(filepath.Join(d.Dir, "config/libvirt/qemu.conf"), []byte("stdio_handler = \"file\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if o.HostUUID != "" {
		conf := fmt.Sprintf("host_uuid = %q\n", o.HostUUID)
		if err := os.WriteFile(filepath.Join(d.Dir, "config/libvirt/libvirtd.conf"), []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := seedCaps(d.Dir); err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(d.Dir, "libvirtd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	d.Socket = filepath.Join(d.Dir, "run/libvirt/libvirt-sock")
	d.URI = "qemu+unix:///session?socket=" + d.Socket
	d.cmd = exec.Command(libvirtd)
	d.cmd.Dir = d.Dir
	d.cmd.Env = []string{
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + filepath.Join(d.Dir, "home"),
		"XDG_RUNTIME_DIR=" + filepath.Join(d.Dir, "run"),
		"XDG_CONFIG_HOME=" + filepath.Join(d.Dir, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(d.Dir, "cache"),
	}
	d.cmd.Stdout, d.cmd.Stderr = log, log
	d.cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 1000, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 1000, HostID: os.Getgid(), Size: 1}},
		Pdeathsig:   syscall.SIGKILL, // the test binary died: do not outlive it
		Setpgid:     true,
	}
	if err := d.cmd.Start(); err != nil {
		testenv.Need(t, false, "a user namespace for libvirtd ("+err.Error()+")", "run the tests as root, or allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)")
	}
	go func() { d.cmd.Wait(); close(d.done) }()
	t.Cleanup(func() { d.Stop(t) })
	// The test binary's deadline ends it without cleanups: stop shortly
	// before it, so that no guest or daemon outlives a timed-out test.
	if dl, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if when, ok := dl.Deadline(); ok && time.Until(when) > 10*time.Second {
			watchdog := time.AfterFunc(time.Until(when)-5*time.Second, func() {
				t.Errorf("libvirtd and its guests stopped 5 s before the test binary's deadline (%s), which would end it without cleanups", when.Format(time.TimeOnly))
				d.Stop(t)
			})
			t.Cleanup(func() { watchdog.Stop() })
		}
	}
	if err := d.wait(30 * time.Second); err != nil {
		t.Fatalf("libvirtd: %v\n%s", err, d.Log())
	}
	return d
}

// wait waits until the daemon accepts a connection on its socket.
func (d *Daemon) wait(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-d.done:
			return fmt.Errorf("exited (%v) before it listened on %s", d.cmd.ProcessState, d.Socket)
		default:
		}
		c, err := net.DialTimeout("unix", d.Socket, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not listening on %s after %s (last: %v)", d.Socket, limit, last)
}

// Log returns the daemon's output so far.
func (d *Daemon) Log() string {
	b, _ := os.ReadFile(filepath.Join(d.Dir, "libvirtd.log"))
	return string(b)
}

// Stop kills the daemon's QEMU guests, then the daemon, and reaps it; it
// reports what it could not do on t. Safe to call more than once.
func (d *Daemon) Stop(t testing.TB) {
	d.stopOnce.Do(func() {
		guests := d.qemuPIDs()
		d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(10 * time.Second):
			d.cmd.Process.Kill()
			select {
			case <-d.done:
			case <-time.After(10 * time.Second):
				t.Errorf("libvirtd (pid %d) not reaped 10 s after SIGKILL", d.cmd.Process.Pid)
			}
		}
		stoppedCaps(d.Dir)
		// libvirtd leaves its guests running when it ends (a session
		// daemon reconnects to them when it starts again): kill them by
		// their pid files, each checked to be a QEMU of this daemon.
		for _, pid := range guests {
			if !d.ours(pid) {
				continue
			}
			syscall.Kill(pid, syscall.SIGKILL)
			if err := waitGone(pid, 10*time.Second); err != nil {
				t.Errorf("QEMU guest of the test's libvirtd: %v", err)
			}
		}
	})
}

// qemuPIDs reads the pid files of the daemon's running guests.
func (d *Daemon) qemuPIDs() []int {
	files, _ := filepath.Glob(filepath.Join(d.Dir, "run/libvirt/qemu/run/*.pid"))
	var pids []int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 1 {
			pids = append(pids, pid)
		}
	}
	return pids
}

// ours reports whether pid is a QEMU whose command line names the
// daemon's folder (its monitor socket and pid file are there).
func (d *Daemon) ours(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && bytes.Contains(b, []byte("qemu")) && bytes.Contains(b, []byte(d.Dir))
}

// waitGone waits until pid is gone (QEMU is libvirtd's grandchild, reaped
// by init).
func waitGone(pid int, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return nil
		}
		// A zombie waiting for init counts as gone.
		if f, err := testenv.ProcStat(pid); err == nil && len(f) > 0 && f[0] == "Z" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pid %d still there %s after SIGKILL", pid, limit)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
