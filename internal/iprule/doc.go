// Package iprule is the one rule for an IP address that another machine
// must reach: a guest's address in kvmguests.conf and a host's address in
// the host information file. kvmguests and migratesetup apply it to their
// own fields; this package owns the rule, its codes and its messages.
//
// Errors: not an address ([CodeSyntax]), a zone ([CodeZone]), IPv6
// link-local, which the manual does not allow ([CodeLinkLocal]),
// unspecified, loopback, multicast or broadcast ([CodeNotUnicast]).
// Warnings: IPv4-mapped IPv6 ([CodeV4Mapped]), IPv4 link-local
// ([CodeV4LinkLocal]), and text that is not the address's canonical form
// ([CodeNotCanonical]), since copies of a file compare addresses as text.
// An IPv4-mapped address is judged by the IPv4 address inside it.
//
//	addr, ds := iprule.Parse("guest_IP", text)
//
// Every diagnostic has Column 1 (the value as a whole); the caller sets the
// file, line, column and field.
package iprule
