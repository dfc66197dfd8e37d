// Package namerule is the one rule for the names PRIMECLUSTER and libvirt
// take from sfkvm's inputs: CF node names, cluster names, guest (domain)
// names and the shutdown agents of rcsd.cfg. kvmguests, migratesetup and
// sdfacility apply it to their own fields and positions; this package owns
// the rule, its codes and its messages, so the three never drift.
//
// The rule: a name is made of [A-Za-z0-9_.-] ([CodeCharset]) and is no
// longer than its limit, 31 bytes for CF and cluster names ([MaxCFName],
// [CodeLength]). Both are warnings: the vendor documents the limits but not
// what happens past them. What a file format cannot hold at all (a space in
// a space-separated file, an '=' in rcsd.cfg) is that format's own error,
// reported by its parser, not by this rule.
//
//	ds := namerule.Check("guest-cfname", name, namerule.MaxCFName)
//
// Columns in the returned diagnostics count from 1 within the name; the
// caller adds the name's own column and sets the file, line and field.
package namerule
