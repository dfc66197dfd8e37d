package sshtest

import (
	"bytes"
	"net"
	"sync"
	"time"
)

// latencyConn delays what the server writes by d, in order, without
// making Write wait: a link with that one-way delay on the server's side.
type latencyConn struct {
	net.Conn
	d    time.Duration
	q    chan held
	sent chan struct{} // closed when the sender has flushed q and ended

	mu     sync.Mutex // held by Write and Close: no write after close
	closed bool

	errMu sync.Mutex // apart from mu: the sender never waits for a Write
	err   error      // the first write error of the sender
}

type held struct {
	b  []byte
	at time.Time
}

func newLatencyConn(c net.Conn, d time.Duration) *latencyConn {
	l := &latencyConn{Conn: c, d: d, q: make(chan held, 256), sent: make(chan struct{})}
	go l.send()
	return l
}

func (l *latencyConn) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, net.ErrClosed
	}
	if err := l.sendErr(); err != nil {
		return 0, err
	}
	l.q <- held{bytes.Clone(p), time.Now().Add(l.d)}
	return len(p), nil
}

func (l *latencyConn) send() {
	defer close(l.sent)
	for h := range l.q {
		if l.sendErr() != nil {
			continue // drained, so that no Write waits
		}
		time.Sleep(time.Until(h.at))
		if _, err := l.Conn.Write(h.b); err != nil {
			l.errMu.Lock()
			l.err = err
			l.errMu.Unlock()
		}
	}
}

func (l *latencyConn) sendErr() error {
	l.errMu.Lock()
	defer l.errMu.Unlock()
	return l.err
}

// Close sends what is held (within the delay and a second more), then
// closes the connection.
func (l *latencyConn) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	close(l.q)
	l.mu.Unlock()
	l.Conn.SetWriteDeadline(time.Now().Add(l.d + time.Second))
	<-l.sent
	return l.Conn.Close()
}
