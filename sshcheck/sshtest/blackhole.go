package sshtest

import (
	"context"
	"fmt"
	"net"
	"sync"
	"syscall"
)

// BlackHole accepts TCP connections and never speaks: a guest whose sshd is
// wedged, or a firewall that accepts and drops. A client without a deadline
// on its handshake hangs on it forever.
type BlackHole struct {
	ln       net.Listener
	mu       sync.Mutex
	conns    []net.Conn
	accepted int
	done     chan struct{}
}

// StartBlackHole listens on addr ("" means 127.0.0.1:0).
func StartBlackHole(addr string) (*BlackHole, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	b := &BlackHole{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(b.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns = append(b.conns, c)
			b.accepted++
			b.mu.Unlock()
		}
	}()
	return b, nil
}

// Addr returns the host:port it listens on.
func (b *BlackHole) Addr() string { return b.ln.Addr().String() }

// Accepted returns how many connections it has accepted.
func (b *BlackHole) Accepted() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.accepted
}

// Close stops listening and drops every connection.
func (b *BlackHole) Close() error {
	err := b.ln.Close()
	<-b.done
	b.mu.Lock()
	for _, c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	return err
}

// Routes maps the addresses a client dials (a guest's "192.0.2.10:22") to
// where they really are (a Server's 127.0.0.1 port). Its DialContext has
// the shape of sshcheck.Options.DialContext and net/http's
// Transport.DialContext; an address with no route is refused, like a
// closed port.
type Routes map[string]string

// DialContext dials the route of addr.
func (r Routes) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	to, ok := r[addr]
	if !ok {
		return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("sshtest: no route to %s: %w", addr, syscall.ECONNREFUSED)}
	}
	var d net.Dialer
	return d.DialContext(ctx, network, to)
}
