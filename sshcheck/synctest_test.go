package sshcheck

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// resetConn fails every read and write with ECONNRESET, as a connection
// that sshd's MaxStartups dropped right after accept.
type resetConn struct{ net.Conn }

func (resetConn) Read([]byte) (int, error) {
	return 0, &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
}

func (resetConn) Write([]byte) (int, error) {
	return 0, &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.ECONNRESET)}
}

// silentDialer returns connections whose far end never reads nor writes,
// and records when each dial happened.
type silentDialer struct {
	resets int // the first resets dials are reset
	dials  []time.Time
	peers  []net.Conn
}

func (d *silentDialer) dial(context.Context, string, string) (net.Conn, error) {
	d.dials = append(d.dials, time.Now())
	c, peer := net.Pipe()
	d.peers = append(d.peers, peer)
	if len(d.dials) <= d.resets {
		return resetConn{c}, nil
	}
	return c, nil
}

func (d *silentDialer) close() {
	for _, p := range d.peers {
		p.Close()
	}
}

func syncProber(t *testing.T, d *silentDialer) *Prober {
	p, err := New(Options{
		KnownHostsFiles:       []string{t.TempDir() + "/known_hosts"},
		GlobalKnownHostsFiles: []string{},
		DialContext:           d.dial,
		HandshakeTimeout:      10 * time.Second,
		RetryDelay:            time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A peer that never speaks costs exactly the handshake timeout.
func TestSilentPeerTimesOutAtDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &silentDialer{}
		defer d.close()
		start := time.Now()
		r := syncProber(t, d).Probe(t.Context(), target("root"))
		if !errors.Is(r.Err, ErrTimeout) {
			t.Fatalf("Probe: %v, want timeout", r.Err)
		}
		if got := time.Since(start); got != 10*time.Second {
			t.Errorf("returned after %v, want exactly the 10s handshake timeout", got)
		}
		if len(d.dials) != 1 {
			t.Errorf("%d dials, want 1", len(d.dials))
		}
	})
}

// A reset before the host key check is retried once, after a random wait
// between half the retry delay and all of it.
func TestResetRetriedOnceWithJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &silentDialer{resets: 1}
		defer d.close()
		r := syncProber(t, d).Probe(t.Context(), target("root"))
		if !errors.Is(r.Err, ErrTimeout) {
			t.Fatalf("Probe: %v, want the retry to time out on the silent peer", r.Err)
		}
		if len(d.dials) != 2 {
			t.Fatalf("%d dials, want 2", len(d.dials))
		}
		if wait := d.dials[1].Sub(d.dials[0]); wait < 500*time.Millisecond || wait > time.Second {
			t.Errorf("waited %v before retrying, want within [0.5s, 1s]", wait)
		}
	})
}

func TestResetRetriedOnlyOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &silentDialer{resets: 5}
		defer d.close()
		r := syncProber(t, d).Probe(t.Context(), target("root"))
		if !errors.Is(r.Err, ErrConnection) || !errors.Is(r.Err, syscall.ECONNRESET) {
			t.Fatalf("Probe: %v, want a connection reset", r.Err)
		}
		if len(d.dials) != 2 {
			t.Errorf("%d dials, want 2", len(d.dials))
		}
	})
}

// The context's deadline, when nearer, bounds the handshake too.
func TestContextDeadlineBoundsHandshake(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &silentDialer{}
		defer d.close()
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		start := time.Now()
		r := syncProber(t, d).Probe(ctx, target("root"))
		if !errors.Is(r.Err, ErrTimeout) {
			t.Fatalf("Probe: %v, want timeout", r.Err)
		}
		if got := time.Since(start); got != 3*time.Second {
			t.Errorf("returned after %v, want 3s", got)
		}
	})
}
