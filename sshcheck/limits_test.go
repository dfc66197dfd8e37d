package sshcheck

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// sshWindow is what x/crypto lets a server send on a channel before the
// client reads (64 packets of 32 KiB): the one buffer between the remote
// writer and the cap.
const sshWindow = 2 << 20

// flood answers "flood STREAM" by writing to that stream until a write
// fails (the client closed the session), counting what it wrote, and
// closes finished when it stops.
type flood struct {
	chunk    []byte
	written  atomic.Int64
	finished chan struct{}
}

func newFlood(chunk string) *flood {
	return &flood{chunk: bytes.Repeat([]byte(chunk), 32<<10/len(chunk)+1), finished: make(chan struct{})}
}

func (f *flood) handler(c sshtest.Command) sshtest.Reply {
	if len(c.Args) != 2 || c.Args[0] != "flood" {
		return echoArgs(c)
	}
	return sshtest.Reply{Stream: func(stdout, stderr io.Writer) {
		defer close(f.finished)
		w := stdout
		if c.Args[1] == "stderr" {
			w = stderr
		}
		for {
			n, err := w.Write(f.chunk)
			f.written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}}
}

// noRawControl fails when s holds a byte a terminal would act on.
func noRawControl(t *testing.T, what, s string) {
	t.Helper()
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || (r == utf8.RuneError && size == 1) || unicode.Is(unicode.Cf, r) {
			t.Errorf("%s holds the raw control character %U at byte %d: %q", what, r, i, s)
			return
		}
		i += size
	}
}

// A host that answers with endless stdout costs the cap plus one SSH
// window: the command returns the sentinel as soon as the cap is passed,
// and the session is closed (the remote writer stops), not drained.
func TestEndlessStdoutStopsAtTheCap(t *testing.T) {
	f := newFlood("0123456789abcdef")
	c, _ := dialLab(t, "admin", f.handler, 20*time.Second)
	const limit = 256 << 10
	start := time.Now()
	stdout, _, status, err := c.RunLimited(ctxT(t), Limits{MaxStdout: limit}, "flood", "stdout")
	took := time.Since(start)

	var e *Error
	if !errors.Is(err, ErrOutputTooLarge) || !errors.As(err, &e) {
		t.Fatalf("RunLimited: %v (status %d), want ErrOutputTooLarge", err, status)
	}
	if e.Stream != "stdout" || e.Limit != limit || stdout != nil {
		t.Errorf("error names stream %q, cap %d, returned %d bytes; want stdout, %d, none", e.Stream, e.Limit, len(stdout), limit)
	}
	if !strings.Contains(err.Error(), "stdout went over 262144 bytes") {
		t.Errorf("message %q does not say which stream and cap", err)
	}
	if took > 5*time.Second {
		t.Errorf("took %v: the cap did not end the command", took)
	}
	select {
	case <-f.finished:
	case <-time.After(5 * time.Second):
		t.Fatal("the remote writer still writes 5 s after the cap: the session was not closed")
	}
	if w := f.written.Load(); w > limit+sshWindow+64<<10 {
		t.Errorf("the server wrote %d bytes; a closed session lets through at most cap+window = %d", w, limit+sshWindow)
	}
	// The connection is still usable for the next command.
	if out, err := c.Output(ctxT(t), "echo", "still", "here"); err != nil || string(out) != "still here\n" {
		t.Errorf("after the cap: %q, %v", out, err)
	}
}

// Stderr is capped at a few KiB by default, and escape sequences in it are
// shown escaped, never raw, in a message of bounded length.
func TestEndlessStderrWithEscapes(t *testing.T) {
	f := newFlood("\x1b[2J\x1b]0;owned\x07\x9b31m\xffred ")
	c, _ := dialLab(t, "root", f.handler, 20*time.Second)
	_, _, _, err := c.Run(ctxT(t), "flood", "stderr")
	var e *Error
	if !errors.Is(err, ErrOutputTooLarge) || !errors.As(err, &e) {
		t.Fatalf("Run: %v, want ErrOutputTooLarge", err)
	}
	if e.Stream != "stderr" || e.Limit != DefaultMaxStderr {
		t.Errorf("stream %q cap %d, want stderr %d", e.Stream, e.Limit, DefaultMaxStderr)
	}
	msg := err.Error()
	noRawControl(t, "the message", msg)
	if len(msg) > 1000 || !strings.Contains(msg, "(cut)") || !strings.Contains(msg, `\x1b[2J`) {
		t.Errorf("message (%d bytes) is not the cut, escaped stderr: %s", len(msg), msg)
	}
	select {
	case <-f.finished:
	case <-time.After(5 * time.Second):
		t.Fatal("the remote writer still writes 5 s after the cap")
	}
}

// The default stdout cap applies to Run; output of exactly the cap passes.
func TestDefaultStdoutCap(t *testing.T) {
	h := func(c sshtest.Command) sshtest.Reply {
		if len(c.Args) == 2 && c.Args[0] == "big" {
			n := DefaultMaxStdout
			if c.Args[1] == "over" {
				n++
			}
			return sshtest.Reply{Stdout: strings.Repeat("x", n)}
		}
		return echoArgs(c)
	}
	c, _ := dialLab(t, "root", h, 20*time.Second)
	stdout, _, status, err := c.Run(ctxT(t), "big", "exact")
	if err != nil || status != 0 || len(stdout) != DefaultMaxStdout {
		t.Errorf("exactly the cap: %d bytes, status %d, %v", len(stdout), status, err)
	}
	if _, _, _, err := c.Run(ctxT(t), "big", "over"); !errors.Is(err, ErrOutputTooLarge) {
		t.Errorf("one byte over the cap: %v, want ErrOutputTooLarge", err)
	}
}

// A failed command's stderr is quoted and escaped in the error, and in the
// field that callers print.
func TestCommandStderrIsQuoted(t *testing.T) {
	h := func(c sshtest.Command) sshtest.Reply {
		return sshtest.Reply{Stderr: "\x1b[31mboom\x1b[0m\r\nsecond line\x00\n", ExitStatus: 2}
	}
	c, _ := dialLab(t, "admin", h, 5*time.Second)
	_, err := c.Output(ctxT(t), "anything")
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrCommandFailed) {
		t.Fatalf("Output: %v", err)
	}
	if want := `"\x1b[31mboom\x1b[0m\r\nsecond line\x00"`; e.Stderr != want {
		t.Errorf("Stderr = %s, want %s", e.Stderr, want)
	}
	noRawControl(t, "the message", err.Error())

	// sudo's stderr, too.
	l := newLab(t, sshtest.Config{Users: map[string]sshtest.User{"oper": {Password: testPassword, Sudo: sshtest.SudoRequireTTY}}})
	l.know(t, l.srv.HostKeys()[0])
	r := l.prober(t, nil).Probe(ctxT(t), target("oper"))
	if !errors.As(r.Err, &e) || e.Stderr != `"sudo: sorry, you must have a tty to run sudo"` {
		t.Errorf("sudo failure: %v", r.Err)
	}
}

func TestQuoteRemote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"  \n", ""},
		{"plain text\n", `"plain text"`},
		{"\x1b[2Jesc", `"\x1b[2Jesc"`},
		{"csi \u009b31m", `"csi \u009b31m"`},
		{"bad \xff byte", `"bad \xff byte"`},
		{"ünï 日本", `"ünï 日本"`},
		{strings.Repeat("a", MaxQuotedRemote+1), `"` + strings.Repeat("a", MaxQuotedRemote) + `" (cut)`},
		// never cut inside a character
		{strings.Repeat("a", MaxQuotedRemote-1) + "日", `"` + strings.Repeat("a", MaxQuotedRemote-1) + `" (cut)`},
	} {
		if got := QuoteRemote([]byte(tc.in)); got != tc.want {
			t.Errorf("QuoteRemote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// x/crypto puts remote words into some errors (a disconnect reason): the
// message escapes them and bounds their length.
func TestErrorEscapesUnderlyingText(t *testing.T) {
	e := &Error{Kind: ErrConnection, Address: "192.0.2.1:22", Stage: StageHandshake,
		Err: errors.New("ssh: disconnect, reason 2: \x1b]0;pwned\x07" + strings.Repeat("\x1b[A", 1000))}
	msg := e.Error()
	noRawControl(t, "Error()", msg)
	if len(msg) > maxErrText+100 || !strings.HasSuffix(msg, "(cut)") || !strings.Contains(msg, `\x1b]0;pwned\a`) {
		t.Errorf("Error() = %q", msg)
	}
}

// Whatever a host sends, the quoted text holds no byte a terminal acts on
// and stays within its bound.
func FuzzQuoteRemote(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b[2J", "\x9b31m", "\xff\xfe", "日本語", "\u202e\u200b", "\ufffd", strings.Repeat("\x1b", 400)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		q := QuoteRemote(b)
		noRawControl(t, "QuoteRemote", q)
		// Each kept byte becomes at most 10 (\U0001xxxx); quotes and " (cut)".
		if len(q) > 10*MaxQuotedRemote+8 {
			t.Errorf("%d bytes", len(q))
		}
		e := escapeText(string(b), maxErrText)
		noRawControl(t, "escapeText", e)
		if len(e) > maxErrText+len(" (cut)") {
			t.Errorf("escapeText: %d bytes", len(e))
		}
	})
}

// readSizes is a reader without WriterTo (as an SSH channel is) that
// records the size of every buffer it is given.
type readSizes struct {
	r     io.Reader
	sizes []int
}

func (s *readSizes) Read(p []byte) (int, error) {
	s.sizes = append(s.sizes, len(p))
	return s.r.Read(p)
}

// x/crypto copies a session's streams with io.Copy: the capped buffer
// takes the copy itself (io.ReaderFrom), so that a command's few bytes of
// output cost a small read, not io.Copy's fresh 32 KiB buffer per stream
// (issue 20: a preflight runs thousands of commands, and that memory was a
// measured part of its CPU). What is read, and the cap, are as Write's.
func TestCappedBufferReadsSmall(t *testing.T) {
	over := make(chan *cappedBuffer, 2)
	b := &cappedBuffer{stream: "stdout", max: 1 << 20, over: over}
	src := &readSizes{r: strings.NewReader("node1 UP\n")}
	if n, err := io.Copy(b, src); err != nil || n != 9 {
		t.Fatalf("io.Copy = %d, %v; want 9, nil", n, err)
	}
	if string(b.buf) != "node1 UP\n" {
		t.Errorf("kept %q, want %q", b.buf, "node1 UP\n")
	}
	if len(src.sizes) == 0 || src.sizes[0] > 4096 {
		t.Errorf("the first read was given %v bytes of buffer; want at most 4 KiB (io.Copy's own buffer is 32 KiB)", src.sizes)
	}

	// Much output: the reads grow, everything is kept.
	big := strings.Repeat("0123456789abcdef", 64<<10/16)
	b = &cappedBuffer{stream: "stdout", max: 1 << 20, over: over}
	src = &readSizes{r: strings.NewReader(big)}
	if n, err := io.Copy(b, src); err != nil || n != int64(len(big)) || string(b.buf) != big {
		t.Fatalf("io.Copy of 64 KiB = %d, %v, kept %d bytes", n, err, len(b.buf))
	}
	if last := src.sizes[len(src.sizes)-1]; last != maxReadChunk {
		t.Errorf("the reads grew to %d, want %d", last, maxReadChunk)
	}

	// Over the cap: what fits is kept, the stream is reported once and the
	// copy stops with errOverCap.
	b = &cappedBuffer{stream: "stderr", max: 1000, over: over}
	n, err := io.Copy(b, &readSizes{r: strings.NewReader(big)})
	if !errors.Is(err, errOverCap) || n != 1000 || len(b.buf) != 1000 || !b.overCap() {
		t.Fatalf("io.Copy over the cap = %d, %v, kept %d, over %v; want 1000, errOverCap, 1000, true", n, err, len(b.buf), b.overCap())
	}
	if got := <-over; got != b {
		t.Errorf("over reported %v, want the stderr buffer", got.stream)
	}
}
