// Command blackhole listens on each address given and accepts TCP
// connections that it never answers, like a guest whose sshd is wedged. It
// runs until killed. bench/probe.sh uses it.
//
// Usage:
//
//	blackhole ADDR:PORT...
//
// For example:
//
//	blackhole 10.232.0.102:22 10.232.0.103:22
//
// It has no flags. Exit 2 without an address, 1 when an address cannot be
// listened on.
package main
