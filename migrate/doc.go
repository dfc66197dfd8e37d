// Package migrate moves a running guest that is a PRIMECLUSTER cluster
// node to another host, live, without its cluster noticing: refused unless
// everything is ready, guarded when the cluster has no host OS failover
// function, and verified afterwards by asking instead of assuming.
package migrate
