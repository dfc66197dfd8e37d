package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sfkvm/sfkvm/internal/migrationtest"
	"github.com/sfkvm/sfkvm/migratesetup"
)

const (
	interval   = 50 * time.Millisecond
	heartbeat  = 20 // readings between reports when nothing changes
	closeAfter = 10 // readings of a new host before the held descriptor is closed
)

func main() {
	// run returns only when it cannot go on.
	fmt.Printf("SFKVM-ERROR %v\n", run())
	for {
		time.Sleep(time.Hour)
	}
}

func run() error {
	for _, m := range []struct{ src, dst, fs string }{
		{"proc", "/proc", "proc"}, {"sysfs", "/sys", "sysfs"}, {"devtmpfs", "/dev", "devtmpfs"},
	} {
		_ = os.MkdirAll(m.dst, 0o755)
		if err := unix.Mount(m.src, m.dst, m.fs, 0, ""); err != nil && !errors.Is(err, unix.EBUSY) {
			return fmt.Errorf("mount %s: %w", m.dst, err)
		}
	}
	order, err := os.ReadFile("/modules/order")
	if err != nil {
		return err
	}
	for _, name := range strings.Fields(string(order)) {
		if err := loadModule("/modules/" + name + ".ko"); err != nil {
			return err
		}
	}
	dev, err := waitDevice(10 * time.Second)
	if err != nil {
		return err
	}
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return err
	}
	fmt.Printf("SFKVM-DEVICE %s\n", dev)
	if err := serve(dev); err != nil {
		// The disk readings go on: the QMP part and a failed network
		// both still show what the guest reads.
		fmt.Printf("SFKVM-NET-ERROR %v\n", err)
	}
	held, err := os.Open(dev)
	if err != nil {
		return err
	}
	r := migrationtest.Report{Boot: strings.TrimSpace(string(boot))}
	first, newHost, last := "", 0, ""
	for {
		r.N++
		r.Direct = name(migratesetup.ReadGuest(context.Background(), dev))
		if held != nil {
			r.Held = name(readAt(held))
		}
		r.Plain = name(readPlain(dev))
		if first == "" {
			first = r.Direct
		}
		if r.Direct != first {
			newHost++
		}
		if held != nil && newHost >= closeAfter {
			held.Close()
			held = nil
			r.Held = "closed"
		}
		// Every reading is reported from the host change until the one
		// after the close: the test waits for those, and on a busy
		// machine 20 readings (a heartbeat) can take many seconds.
		changing := newHost > 0 && newHost <= closeAfter+1
		key := r.Direct + " " + r.Held + " " + r.Plain
		if key != last || r.N%heartbeat == 0 || changing {
			fmt.Println(r.String())
			last = key
		}
		time.Sleep(interval)
	}
}

func loadModule(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.FinitModule(int(f.Fd()), "", 0); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("loading %s: %w", path, err)
	}
	return nil
}

func waitDevice(limit time.Duration) (string, error) {
	deadline := time.Now().Add(limit)
	for {
		dev, err := migratesetup.FindGuestDevice("/")
		if err == nil {
			return dev, nil
		}
		if time.Now().After(deadline) {
			return "", err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readAt reads the first sector again through f: a plain, cached read.
func readAt(f *os.File) (migratesetup.HostInfo, error) {
	buf := make([]byte, migratesetup.SectorSize)
	n, err := f.ReadAt(buf, 0)
	if err != nil && n == 0 {
		return migratesetup.HostInfo{}, err
	}
	return migratesetup.ParseDisk(buf[:n], f.Name())
}

// readPlain opens the device, reads its first sector and closes it.
func readPlain(dev string) (migratesetup.HostInfo, error) {
	f, err := os.Open(dev)
	if err != nil {
		return migratesetup.HostInfo{}, err
	}
	defer f.Close()
	return readAt(f)
}

// name is the report's word for a reading: the host CF node name, or
// "error:" and the start of the error.
func name(h migratesetup.HostInfo, err error) string {
	if err != nil {
		w := strings.Fields(err.Error())
		if len(w) > 3 {
			w = w[:3]
		}
		return "error:" + strings.Join(w, "_")
	}
	return h.CFName
}
