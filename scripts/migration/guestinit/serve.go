package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/sys/unix"

	"github.com/sfkvm/sfkvm/internal/migrationtest"
	"github.com/sfkvm/sfkvm/migrate"
	"github.com/sfkvm/sfkvm/migrate/migratetest"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// serve brings up the network interface with the guest's static address
// and serves SSH there (package sshtest's server, x/crypto/ssh) with a
// host key made now, printed on the console for the test to trust. The
// commands are those of a simulated cluster node (migrationtest.Node),
// whose disk read is this guest's real disk. Without a configuration (the
// QMP part's guest has no network) it does nothing.
func serve(dev string) error {
	b, err := os.ReadFile(migrationtest.GuestConfigPath)
	if errors.Is(err, os.ErrNotExist) {
		fmt.Println("SFKVM-NET none: no " + migrationtest.GuestConfigPath)
		return nil
	}
	if err != nil {
		return err
	}
	conf, prefix, err := migrationtest.ParseGuestConfig(b)
	if err != nil {
		return err
	}
	if err := ifUp("lo", netip.MustParsePrefix("127.0.0.1/8")); err != nil {
		return err
	}
	nic, err := waitInterface(10 * time.Second)
	if err != nil {
		return err
	}
	if err := ifUp(nic, prefix); err != nil {
		return err
	}
	// The simulated cluster node, its cluster.config the initramfs's.
	cluster := migratetest.New(conf.Cluster, conf.Nodes...)
	cc, err := os.ReadFile(migrate.DefaultClusterConfig)
	if err != nil {
		return err
	}
	cluster.Do(conf.Node, func(n *migratetest.Node) { n.Config = cc })
	key, err := sshtest.NewHostKey("ed25519")
	if err != nil {
		return err
	}
	srv, err := sshtest.Start(sshtest.Config{
		Users:    map[string]sshtest.User{conf.User: {Password: conf.Password, Sudo: sshtest.SudoNoPassword}},
		HostKeys: []ssh.Signer{key},
		Handler:  migrationtest.NodeHandler(cluster, conf.Node, func() ([]byte, error) { return readDirect(dev) }),
		Addr:     net.JoinHostPort(prefix.Addr().String(), "22"),
	})
	if err != nil {
		return err
	}
	fmt.Printf("%s%s %s\n", migrationtest.HostKeyPrefix, ssh.FingerprintSHA256(key.PublicKey()), bytes.TrimSpace(ssh.MarshalAuthorizedKey(key.PublicKey())))
	fmt.Printf("SFKVM-SSH %s on %s\n", srv.Addr(), nic)
	return nil
}

// waitInterface waits for the first network interface other than lo
// (virtio_net registers it after its module is loaded).
func waitInterface(limit time.Duration) (string, error) {
	deadline := time.Now().Add(limit)
	for {
		names, _ := filepath.Glob("/sys/class/net/*")
		for _, n := range names {
			if b := filepath.Base(n); b != "lo" {
				return b, nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no network interface in /sys/class/net after %v (virtio_net loaded, but no virtio NIC?)", limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ifUp gives name the address p and sets it up, by ioctl: there is no ip
// command in the initramfs.
func ifUp(name string, p netip.Prefix) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	set := func(what string, req uint, addr []byte) error {
		if err := ifr.SetInet4Addr(addr); err != nil {
			return err
		}
		if err := unix.IoctlIfreq(fd, req, ifr); err != nil {
			return fmt.Errorf("%s %s: %w", name, what, err)
		}
		return nil
	}
	if err := set("address", unix.SIOCSIFADDR, p.Addr().AsSlice()); err != nil {
		return err
	}
	if err := set("netmask", unix.SIOCSIFNETMASK, net.CIDRMask(p.Bits(), 32)); err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("%s flags: %w", name, err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("%s up: %w", name, err)
	}
	return nil
}

// readDirect is what `dd if=DEV bs=512 count=128 iflag=direct` prints
// (migratesetup.GuestReadCommand): the disk's first 64 KiB at most, read
// past the page cache, so that after a migration it is the new host's
// file.
func readDirect(dev string) ([]byte, error) {
	const size = 128 * 512
	f, err := os.OpenFile(dev, os.O_RDONLY|unix.O_DIRECT, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// O_DIRECT wants an aligned buffer: a page of its own from mmap.
	buf, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return nil, err
	}
	defer unix.Munmap(buf)
	n := 0
	for n < size {
		m, err := f.Read(buf[n:])
		n += m
		if err == io.EOF || m == 0 {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return append([]byte(nil), buf[:n]...), nil
}
