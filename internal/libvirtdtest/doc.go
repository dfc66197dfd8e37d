// Package libvirtdtest starts a throwaway libvirt daemon for a test: a
// qemu:///session libvirtd from Debian's packages, with every file it
// keeps (sockets, definitions, logs, QEMU's pid files) under a folder of
// the test's own, so that nothing system-wide is read or touched. No
// system service, no virtlogd or virtlockd; when the test ends (also when
// its deadline comes close) the QEMU guests and the daemon are killed and
// reaped.
//
//	d := libvirtdtest.Start(t)
//	s, err := rpcstore.Open(ctx, d.URI) // qemu+unix:///session?socket=...
//
// libvirtd started as root runs as the privileged system daemon (the
// /run/libvirt sockets, /etc/libvirt); a session daemon is what a user
// other than root gets. So the daemon runs in a user namespace of its own
// where the test's user is uid 1000: libvirtd sees a plain user and runs
// in session mode, while every file it touches is still accessed as the
// test's user outside (root's 0600 host information file included), and
// the test, connecting as that same user, passes libvirtd's peer check.
// Its guests are QEMU with TCG (no /dev/kvm needed).
package libvirtdtest
