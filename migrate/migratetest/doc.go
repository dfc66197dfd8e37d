// Package migratetest simulates what package migrate drives inside a
// guest cluster: the vendor tools cftool -n, sdtool -s/-e/-b and
// cfset -r/-a of every node, each node's /etc/default/cluster.config,
// the cluster's lock on each node (migrate.LockScript, answered as flock(1)
// would: held until the session's input ends, 75 naming the holder while
// held; Cluster.Locked tells), and the guest's host information disk, for
// in-process SSH guests
// (sshcheck/sshtest). The nodes share one cluster state, so that a
// timeout applied on one node or a node gone DOWN shows on the others as
// it would. The formats follow what the vendor documents (docs/vendor-tools.md), failures included: each
// node's Fault answers any command instead of the simulation (a non-zero
// exit, a hang, odd output).
//
// Site is a whole simulated site on top of it: three fake libvirts that
// migrate (migratesetuptest), the cluster's two nodes as sshtest guests at
// documentation addresses, guest11's host information disk backed by the
// file of the host it runs on, and a Plan that drives package migrate
// against it.
package migratetest
