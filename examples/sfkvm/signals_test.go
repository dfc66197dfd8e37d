package main

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/sdfacility/sdtest"
)

// fakeExit records the code of the first exit.
type fakeExit chan int

func (f fakeExit) exit(code int) { f <- code }

func newWatcher(grace time.Duration) (*onSignals, chan os.Signal, fakeExit, *bytes.Buffer, context.Context) {
	ctx, cancel := context.WithCancelCause(context.Background())
	exits := make(fakeExit, 2)
	var stderr bytes.Buffer
	o := &onSignals{cancel: cancel, exit: exits.exit, stderr: &stderr, grace: grace}
	sigs := make(chan os.Signal, 2)
	go o.watch(sigs)
	return o, sigs, exits, &stderr, ctx
}

func TestASecondSignalEndsAtOnce(t *testing.T) {
	_, sigs, exits, stderr, ctx := newWatcher(time.Hour)
	sigs <- syscall.SIGINT
	<-ctx.Done()
	if !interrupted(ctx) {
		t.Fatalf("the context ended with %v, want errInterrupted", context.Cause(ctx))
	}
	sigs <- syscall.SIGINT
	select {
	case code := <-exits:
		if code != exitInterrupted || stderr.String() != interruptedMessage+"\n" {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a second signal did not end the run")
	}
}

func TestTheGracePeriodEndsARunThatIgnoresTheSignal(t *testing.T) {
	_, sigs, exits, stderr, _ := newWatcher(10 * time.Millisecond)
	sigs <- syscall.SIGTERM
	select {
	case code := <-exits:
		if code != exitInterrupted || !strings.HasSuffix(stderr.String(), interruptedMessage+"\n") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the grace period did not end the run")
	}
}

// A command that holds the grace period (rotate putting passwords back)
// is not cut short when it passes; it ends the run itself, and a second
// signal still ends it at once.
func TestAHeldRunOutlivesTheGracePeriod(t *testing.T) {
	release := holdGrace()
	defer release()
	_, sigs, exits, _, _ := newWatcher(10 * time.Millisecond)
	sigs <- syscall.SIGINT
	select {
	case code := <-exits:
		t.Fatalf("exit %d during a held stretch", code)
	case <-time.After(200 * time.Millisecond):
	}
	sigs <- syscall.SIGINT
	select {
	case <-exits:
	case <-time.After(5 * time.Second):
		t.Fatal("a second signal did not end a held run")
	}

	_, sigs, exits, _, _ = newWatcher(10 * time.Millisecond)
	sigs <- syscall.SIGINT
	time.Sleep(50 * time.Millisecond)
	release()
	select {
	case code := <-exits:
		t.Errorf("exit %d after the release: the command exits with its own code", code)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestARunThatFinishesExitsOnce(t *testing.T) {
	o, _, exits, stderr, _ := newWatcher(time.Hour)
	o.finish(exitFailed)
	o.end()
	if code := <-exits; code != exitFailed || stderr.Len() != 0 || len(exits) != 0 {
		t.Errorf("exit %d then %d more, stderr %q", code, len(exits), stderr)
	}
}

// Every command ends a run cut short by a signal the same way: the last
// line "sfkvm: interrupted", exit 130, and no "context canceled" or other
// words of the context's own.
func TestEveryCommandEndsAnInterruptedRunTheSameWay(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join("testdata", "ok.conf")
	p := sdtest.Install(t, sdtest.Config{Nodes: sdNodes, Running: true})
	keyFile := filepath.Join(dir, "sfkvm.key")
	key, err := cipher.CreateKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	g := kvmguests.Guest{Name: "guest1", HostCFName: "cfhost1", ClusterName: "c1", CFName: "cfguest1", IP: netip.MustParseAddr("192.0.2.11"), User: "user1"}
	tok, _ := key.Seal(cipher.SecretFromString("Old-pw-1"), preflight.GuestContext(g))
	g.Password = kvmguests.Token(tok)
	var cfg kvmguests.Config
	cfg.Add(g)
	rotateConf := filepath.Join(dir, "kvmguests.conf")
	os.WriteFile(rotateConf, kvmguests.Format(&cfg), 0o600)
	for _, args := range [][]string{
		{"check", "--no-perm", "-f", conf},
		{"compare", conf, conf},
		{"cipher", "-c", "--password-stdin"},
		{"sd", "status", "--sdtool", p.SDTool},
		{"sd", "restart", "--sdtool", p.SDTool},
		{"probe", "--no-perm", "-f", conf, "--password-stdin"},
		{"migratesetup", "-c", "-i", "192.0.2.1", "--cfname", "cfhost1", "--hostinfo", filepath.Join(dir, "hostinfo")},
		{"rotate", "-f", rotateConf, "--key", keyFile, "--native", "--password-stdin"},
		{"hostinfo", "--watch", "--device", filepath.Join(dir, "hostinfo")},
	} {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(errInterrupted)
			var out, errb bytes.Buffer
			code := run(ctx, args, strings.NewReader("Secret-pw1\n"), &out, &errb)
			lines := strings.Split(strings.TrimRight(errb.String(), "\n"), "\n")
			if code != exitInterrupted || lines[len(lines)-1] != interruptedMessage {
				t.Errorf("exit %d, stderr %q; want 130 and the last line %q", code, errb.String(), interruptedMessage)
			}
			for _, words := range []string{"context canceled", "signal received", "Secret-pw1"} {
				if strings.Contains(out.String()+errb.String(), words) {
					t.Errorf("the output says %q:\n%s%s", words, out.String(), errb.String())
				}
			}
		})
	}
}
