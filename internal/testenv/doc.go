// Package testenv holds the helpers that sfkvm's tests share for their
// surroundings. It exists so that every test treats a missing component and
// the disk the same way.
//
// A test that needs a real component (sshd, sudo, libvirt, a network
// namespace, root) asks for it with Need, LookPath or Root: when it is
// missing the test skips with a message that names the Debian package to
// install, or fails when SFKVM_INTEGRATION=1 is set, so that CI can never
// pass by skipping.
//
//	sshd := testenv.LookPath(t, "sshd", "openssh-server")
//	testenv.Root(t, "sshd must run as root to log users in")
//
// A test that proves a refused operation changed nothing compares
// DirState before and after; NotRegularFiles makes the entries (a FIFO, a
// symbolic link, a folder, a device) that sfkvm must refuse to read or
// replace.
//
//	before := testenv.DirState(t, dir)
//	// ... the operation that must be refused ...
//	if after := testenv.DirState(t, dir); after != before {
//		t.Errorf("the refusal changed the folder:\n%s\nwas\n%s", after, before)
//	}
//
// A test of anything that prints text sfkvm did not write (a table of
// guest names, a remote message) puts each of HostileText where that text
// goes and checks the output with RawTerminalControl, which names the
// first escape sequence, control character, bidi override or invalid
// UTF-8 byte that would reach a terminal raw.
//
//	if raw := testenv.RawTerminalControl(out); raw != "" {
//		t.Errorf("the table holds a raw %s", raw)
//	}
package testenv
