package migrate

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// conn is one node's login, made when first needed and made again once
// when the connection broke (the migrated guest's TCP connection may not
// survive its pause; the guest keeps its address).
type conn struct {
	g     kvmguests.Guest
	login func(ctx context.Context, g kvmguests.Guest) (Node, error)
	mu    sync.Mutex
	n     Node
}

func (c *conn) node(ctx context.Context) (Node, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n != nil {
		return c.n, nil
	}
	n, err := c.login(ctx, c.g)
	if err != nil {
		return nil, err
	}
	c.n = n
	return n, nil
}

func (c *conn) drop(n Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == n {
		c.n.Close()
		c.n = nil
	}
}

// do runs f on the node's login, logging in again once if the connection
// broke under it.
func (c *conn) do(ctx context.Context, f func(Node) error) error {
	for try := 0; ; try++ {
		n, err := c.node(ctx)
		if err != nil {
			return err
		}
		err = f(n)
		if try == 0 && errors.Is(err, sshcheck.ErrConnection) && ctx.Err() == nil {
			c.drop(n)
			continue
		}
		return err
	}
}

func (c *conn) command(ctx context.Context, name string, args ...string) (out []byte, err error) {
	err = c.do(ctx, func(n Node) error {
		out, err = command(ctx, n, name, args...)
		return err
	})
	return out, err
}

func (c *conn) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n != nil {
		c.n.Close()
		c.n = nil
	}
}

// session is one run: the plan, its report, the nodes' logins, what the
// guard changed.
type session struct {
	p     Plan
	r     *Report
	nodes []*conn
	self  *conn // the migrated guest's login (one of nodes)
	state State
	done  []changes
	// srcInfo is the source's registration, what the guest reads before.
	srcInfo migratesetup.HostInfo
	// held are the cluster's locks on the nodes (lockNodes), unlock this
	// host's (lockCluster): both let go at the end, the nodes' first.
	held   []*sshcheck.Held
	unlock func()
}

func (s *session) close() {
	s.releaseNodes()
	for _, c := range s.nodes {
		c.close()
	}
	if s.unlock != nil {
		s.unlock()
		s.unlock = nil
	}
}

// errText is an error as one line of the report.
func errText(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", " | ")
}
