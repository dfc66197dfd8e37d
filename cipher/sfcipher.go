package cipher

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Sfcipher is the [Encrypter] that drives the vendor's sfcipher -c. The
// tool reads the password from its terminal only, so it runs on a
// pseudo-terminal of its own: Encrypt waits for each prompt, waits until the
// tool has turned echo off, types the password, and reads the token that
// the tool prints. The password never appears on a command line or in the
// environment.
//
// The zero Sfcipher finds the tool with [FindSfcipher] and gives it
// [DefaultSfcipherTimeout]. A tool named in Path must pass [CheckTool]
// too: it must be root's, in folders that only root can change.
type Sfcipher struct {
	Path      string        // the tool; empty: FindSfcipher
	Timeout   time.Duration // bound on one run; zero: DefaultSfcipherTimeout
	MaxOutput int           // bound on what the tool may print, in bytes; zero: DefaultSfcipherMaxOutput
}

// DefaultSfcipherMaxOutput bounds what one run of sfcipher may print when
// Sfcipher.MaxOutput is zero: two prompts and a token take a hundred
// bytes; a tool that prints this much is broken, and is stopped.
const DefaultSfcipherMaxOutput = 64 << 10

// Timing of the conversation. These bound the wait for facts that a
// terminal does not announce: that the tool has turned echo off, and that a
// line ending in ':' is a question that nobody will finish.
const (
	echoOffWait  = 2 * time.Second
	echoPoll     = 2 * time.Millisecond
	promptSilent = 300 * time.Millisecond
	drainWait    = time.Second
	// maxTTYLine is the longest line that a Linux terminal in canonical
	// mode passes on (4095 bytes and the newline).
	maxTTYLine = 4094
	maxQuoted  = 1024
	// maxPrompt is how much of an unexpected question an error quotes.
	maxPrompt = 200
)

// Encrypt runs sfcipher -c, answers its two prompts with password and
// returns the token it prints. The password must pass [CheckPassword]
// first: besides being the documented policy, that guarantees it holds no
// character that the terminal would act on (Ctrl-C, Ctrl-D, a newline).
//
// It fails with a *SfcipherError when the tool cannot be started, asks
// anything but the two known prompts in their order, each once (an
// unexpected question is quoted, cut to 200 bytes, and never answered),
// keeps echo on, exits non-zero, prints something other than an
// uppercase-hexadecimal token, prints more than MaxOutput, or outlives the
// context or the timeout (then it is killed, with anything it started).
// A tool that fails [CheckTool] is refused before it runs.
func (s *Sfcipher) Encrypt(ctx context.Context, password []byte) (string, error) {
	if err := CheckPassword(password); err != nil {
		return "", err
	}
	if len(password) > maxTTYLine {
		return "", &PolicyError{Rule: ErrTooLongToType}
	}
	// The tool receives the password: whether found or named, it must
	// pass CheckTool, and its real path is what runs.
	var path string
	var err error
	if s.Path == "" {
		path, err = FindSfcipher()
	} else {
		path, err = CheckTool(s.Path)
	}
	if err != nil {
		return "", err
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultSfcipherTimeout
	}
	maxOutput := s.MaxOutput
	if maxOutput <= 0 {
		maxOutput = DefaultSfcipherMaxOutput
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	c := &conversation{path: path, password: password, maxOutput: maxOutput}
	return c.run(ctx)
}

// conversation is one run of sfcipher on a pseudo-terminal.
type conversation struct {
	path      string
	password  []byte
	maxOutput int
	cmd       *exec.Cmd
	ptmx      *os.File
	out       bytes.Buffer // everything the tool printed, at most maxOutput bytes and one read
}

func (c *conversation) fail(err error, exitStatus int) error {
	return &SfcipherError{Path: c.path, Err: err, ExitStatus: exitStatus, Output: c.quoted()}
}

func (c *conversation) run(ctx context.Context) (string, error) {
	c.cmd = exec.Command(c.path, "-c")
	// The manual shows English prompts; ask for them.
	c.cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C", "TERM=dumb")
	ptmx, err := startOnPTY(c.cmd)
	if err != nil {
		return "", c.fail(fmt.Errorf("cannot start it on a pseudo-terminal: %w", err), -1)
	}
	c.ptmx = ptmx
	var waitErr error
	waited := make(chan struct{})
	go func() { waitErr = c.cmd.Wait(); close(waited) }()
	defer func() {
		select {
		case <-waited:
		default:
			// The tool leads its own session and process group: kill the
			// group, so that nothing it started lives on either.
			killGroup(c.cmd)
			<-waited
		}
		ptmx.Close()
	}()

	chunks := make(chan []byte)
	stop := make(chan struct{})
	defer close(stop)
	go readChunks(ptmx, chunks, stop)

	// The two prompts, in this order, each once: anything else is an
	// error, so that the password is typed only where the manual says the
	// tool asks for it.
	prompts := []string{PromptEnter, PromptReenter}
	answered := 0 // prompts answered so far
	mark := 0     // offset in out where the text after the last answer starts
	expected := func() string {
		if answered < len(prompts) {
			return fmt.Sprintf("sfkvm expected %q", prompts[answered])
		}
		return "sfkvm expected only the token, both answers given"
	}
	silence := time.NewTimer(time.Hour)
	silence.Stop()
	defer silence.Stop()
	exit := waited // nil once seen
	for open := true; open; {
		select {
		case <-ctx.Done():
			return "", c.fail(fmt.Errorf("%w (the tool was killed)", ctx.Err()), -1)
		case <-silence.C:
			q := c.quote(lastLine(c.out.Bytes()[mark:]), maxPrompt)
			return "", c.fail(fmt.Errorf("%w: %q where %s", ErrUnexpectedPrompt, q, expected()), -1)
		case <-exit:
			// The tool has ended. The terminal normally closes with it,
			// but a process that it left behind may hold it open: read
			// what is there, without waiting for the close.
			_ = ptmx.SetReadDeadline(time.Now().Add(drainWait))
			exit = nil
		case chunk, ok := <-chunks:
			if !ok {
				open = false
				break
			}
			c.out.Write(chunk)
			if c.out.Len() > c.maxOutput {
				return "", c.fail(fmt.Errorf("%w: more than %d bytes (the tool was killed)", ErrSfcipherOutput, c.maxOutput), -1)
			}
			line := lastLine(c.out.Bytes()[mark:])
			silence.Stop()
			switch {
			case answered < len(prompts) && line == prompts[answered]:
				if err := c.answer(ctx); err != nil {
					return "", err
				}
				answered++
				mark = c.out.Len()
			case line == PromptEnter || line == PromptReenter:
				// A known prompt, but not the one due: out of order, or
				// asked again. Never answered.
				return "", c.fail(fmt.Errorf("%w: %q where %s (out of order, or asked again)", ErrUnexpectedPrompt, line, expected()), -1)
			case strings.HasSuffix(line, ":") || strings.HasSuffix(line, "?"):
				// Maybe a question we do not know, maybe the first half
				// of a line: decide when the tool has been silent a while.
				silence.Reset(promptSilent)
			}
		}
	}

	// The terminal closed (or was drained): the tool has ended, or is
	// about to.
	select {
	case <-waited:
	case <-ctx.Done():
		return "", c.fail(fmt.Errorf("%w (the tool was killed)", ctx.Err()), -1)
	}
	err = waitErr
	status := c.cmd.ProcessState.ExitCode()
	if err != nil && status < 0 {
		return "", c.fail(fmt.Errorf("%w: %v", ErrSfcipherExit, err), -1)
	}
	if status != 0 {
		return "", c.fail(ErrSfcipherExit, status)
	}
	if answered < len(prompts) {
		return "", c.fail(fmt.Errorf("%w: it ended without asking %q", ErrUnexpectedPrompt, prompts[answered]), 0)
	}
	token := lastNonEmptyLine(c.out.Bytes()[mark:])
	if !IsVendorToken(token) {
		return "", c.fail(ErrNotAToken, 0)
	}
	return token, nil
}

// answer types the password and Enter, once the tool has turned echo off.
func (c *conversation) answer(ctx context.Context) error {
	deadline := time.Now().Add(echoOffWait)
	for {
		on, err := echoOn(c.ptmx)
		if err != nil {
			return c.fail(fmt.Errorf("reading the terminal's mode: %w", err), -1)
		}
		if !on {
			break
		}
		if time.Now().After(deadline) {
			return c.fail(ErrEchoOn, -1)
		}
		select {
		case <-ctx.Done():
			return c.fail(fmt.Errorf("%w (the tool was killed)", ctx.Err()), -1)
		case <-time.After(echoPoll):
		}
	}
	// Enter sends CR, as a person's key does; the terminal turns it into
	// a newline for a tool in canonical mode.
	line := make([]byte, 0, len(c.password)+1)
	line = append(append(line, c.password...), '\r')
	defer wipe(line)
	if _, err := c.ptmx.Write(line); err != nil {
		return c.fail(fmt.Errorf("typing the password: %w", err), -1)
	}
	return nil
}

// readChunks sends what the tool prints until its terminal closes (EIO on
// Linux) or stop is closed.
func readChunks(ptmx *os.File, chunks chan<- []byte, stop <-chan struct{}) {
	defer close(chunks)
	for {
		buf := make([]byte, 4096)
		n, err := ptmx.Read(buf)
		if n > 0 {
			select {
			case chunks <- buf[:n]:
			case <-stop:
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// quoted is what the tool printed, fit to quote in an error (see quote).
func (c *conversation) quoted() string { return c.quote(c.out.String(), maxQuoted) }

// quote makes text fit to quote in an error: CRs dropped, the password
// replaced should the tool have echoed it, trimmed, and cut to max bytes.
// The caller quotes it with %q, which escapes the rest.
func (c *conversation) quote(text string, max int) string {
	b := bytes.ReplaceAll([]byte(text), []byte("\r"), nil)
	if len(c.password) > 0 {
		b = bytes.ReplaceAll(b, c.password, []byte(Redacted))
	}
	b = bytes.TrimSpace(b)
	if len(b) > max {
		b = append(b[:max:max], "..."...)
	}
	return string(b)
}

// lastLine returns the text after the last newline, without spaces or CRs
// around it: where a prompt waits.
func lastLine(b []byte) string {
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return string(bytes.TrimSpace(b))
}

// lastNonEmptyLine returns the last line of b that is not blank, trimmed.
func lastNonEmptyLine(b []byte) string {
	lines := strings.Split(string(b), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}
