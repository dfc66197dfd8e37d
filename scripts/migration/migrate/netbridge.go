package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// netBridge joins the guests' Ethernet segment, a UDP multicast group on
// the loopback of the test's network namespace (QEMU's -netdev
// socket,mcast=: libvirt's <interface type='mcast'>), to the TAP device
// -tap that holds the test's own addresses there: each frame a QEMU sends
// to the group is written to the TAP, each frame the kernel sends out of
// the TAP goes to the group. Every QEMU of either host that has the
// interface is on the same segment, so the guest keeps its MAC and address
// across a migration, as on a bridged network: its frames simply come
// from the other QEMU. It runs until SIGTERM or SIGINT.
func netBridge(args []string) error {
	fs := flag.NewFlagSet("netbridge", flag.ExitOnError)
	group := fs.String("group", "", "the multicast group address:port")
	tap := fs.String("tap", "", "the TAP device (made by ip tuntap, up, with the test's addresses)")
	fs.Parse(args)
	if *group == "" || *tap == "" || fs.NArg() != 0 {
		usage()
	}
	gaddr, err := net.ResolveUDPAddr("udp4", *group)
	if err != nil {
		return err
	}
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		return err
	}
	conn, err := net.ListenMulticastUDP("udp4", lo, gaddr)
	if err != nil {
		return fmt.Errorf("joining %s on lo: %w", *group, err)
	}
	defer conn.Close()
	// ListenMulticastUDP turns loopback off; the QEMUs are on this same
	// machine, so it must be on, and the frames go out on lo.
	raw, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, 1)
		if serr == nil {
			serr = unix.SetsockoptIPMreqn(int(fd), unix.IPPROTO_IP, unix.IP_MULTICAST_IF, &unix.IPMreqn{Ifindex: int32(lo.Index)})
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("multicast options: %w", serr)
	}
	t, err := openTap(*tap)
	if err != nil {
		return err
	}
	defer t.Close()
	tapIf, err := net.InterfaceByName(*tap)
	if err != nil {
		return err
	}
	own := tapIf.HardwareAddr
	errs := make(chan error, 2)
	go func() { // group -> TAP
		buf := make([]byte, 65536)
		for {
			n, _, err := conn.ReadFromUDP(buf)
			if err != nil {
				errs <- fmt.Errorf("reading %s: %w", *group, err)
				return
			}
			// Our own frames come back through the loop: not for the TAP.
			if n < 14 || bytes.Equal(buf[6:12], own) {
				continue
			}
			if _, err := t.Write(buf[:n]); err != nil && !errors.Is(err, syscall.EIO) {
				errs <- fmt.Errorf("writing %s: %w", *tap, err)
				return
			}
		}
	}()
	go func() { // TAP -> group
		buf := make([]byte, 65536)
		for {
			n, err := t.Read(buf)
			if err != nil {
				errs <- fmt.Errorf("reading %s: %w", *tap, err)
				return
			}
			if _, err := conn.WriteToUDP(buf[:n], gaddr); err != nil {
				errs <- fmt.Errorf("sending to %s: %w", *group, err)
				return
			}
		}
	}()
	fmt.Printf("netbridge: %s (%s) <-> %s\n", *tap, own, *group)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-sig:
		return nil
	case err := <-errs:
		return err
	}
}

// openTap attaches to the existing TAP device name, frames without the
// packet information header.
func openTap(name string) (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("/dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("attaching to TAP %s: %w", name, err)
	}
	if strings.ContainsAny(name, "/") {
		unix.Close(fd)
		return nil, fmt.Errorf("bad TAP name %q", name)
	}
	return os.NewFile(uintptr(fd), "/dev/net/tun:"+name), nil
}
