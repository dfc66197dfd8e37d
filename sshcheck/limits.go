package sshcheck

import (
	"errors"
	"io"
	"sync"
)

// Caps on what one remote command may print, unless its Limits say
// otherwise. A command's answer (cftool, sdtool, ssh-keygen -F) fits in a
// few lines; stderr only feeds a message.
const (
	DefaultMaxStdout = 1 << 20
	DefaultMaxStderr = 4 << 10
)

// Limits bound what one remote command may print on each stream. A
// command that goes over a cap is not read further: the session is closed
// at once and the command ends in an *Error of kind ErrOutputTooLarge that
// names the stream and the cap. So a hostile or broken host costs the
// caller at most the cap plus one SSH window (2 MiB) per stream.
// The fields have sdfacility.LocalRunner's names for the same knobs.
type Limits struct {
	MaxStdout int64 // 0 (or less) means DefaultMaxStdout
	MaxStderr int64 // 0 (or less) means DefaultMaxStderr

	stdin io.Reader // what the command reads (RunInput); nil: nothing
}

func (l Limits) withDefaults() Limits {
	if l.MaxStdout <= 0 {
		l.MaxStdout = DefaultMaxStdout
	}
	if l.MaxStderr <= 0 {
		l.MaxStderr = DefaultMaxStderr
	}
	return l
}

// errOverCap stops x/crypto's copy of a stream into a cappedBuffer.
var errOverCap = errors.New("sshcheck: output over its cap")

// cappedBuffer keeps at most max bytes of a stream. The write that would
// go over keeps what fits, reports the stream on over (once) and fails, so
// that the copy from the channel stops; the caller then closes the
// session.
type cappedBuffer struct {
	stream string
	max    int64
	over   chan<- *cappedBuffer

	mu       sync.Mutex
	buf      []byte
	exceeded bool
}

// ReadFrom takes the stream in reads that start small and grow with
// what comes: x/crypto copies each stream of a session with io.Copy,
// which without it gives every stream a fresh 32 KiB buffer, 64 KiB of
// zeroed memory a command. A preflight runs a few commands on each of a
// thousand guests, and that churn (page faults, GC, returning pages to
// the kernel) was a measured part of its CPU (issue 20). What is read
// goes through Write, so the cap works as it did.
func (c *cappedBuffer) ReadFrom(r io.Reader) (int64, error) { return readGrowing(c, r) }

// readGrowing copies r to w as ReadFrom describes. A type that embeds
// cappedBuffer and has a Write of its own needs a ReadFrom of its own
// calling it (readyWriter): the promoted one would write past it.
func readGrowing(w io.Writer, r io.Reader) (int64, error) {
	var total int64
	chunk := make([]byte, 512)
	for {
		n, err := r.Read(chunk)
		if n > 0 {
			m, werr := w.Write(chunk[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
			if n == len(chunk) && len(chunk) < maxReadChunk {
				chunk = make([]byte, 2*len(chunk)) // more is coming: read it in fewer calls
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// maxReadChunk is the largest read of ReadFrom, io.Copy's own size.
const maxReadChunk = 32 << 10

func (c *cappedBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.exceeded {
		return 0, errOverCap
	}
	if room := c.max - int64(len(c.buf)); int64(len(p)) > room {
		c.buf = append(c.buf, p[:room]...)
		c.exceeded = true
		c.over <- c // buffered for both streams: never blocks
		return int(room), errOverCap
	}
	c.buf = append(c.buf, p...)
	return len(p), nil
}

// snapshot returns a copy of what was kept, safe while the copy from the
// channel may still be running.
func (c *cappedBuffer) snapshot() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.buf...)
}

func (c *cappedBuffer) overCap() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exceeded
}
