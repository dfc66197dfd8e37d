package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup"
)

var (
	guestHostA = migratesetup.HostInfo{CFName: "cfhostA", IP: netip.MustParseAddr("192.0.2.1")}
	guestHostB = migratesetup.HostInfo{CFName: "cfhostB", IP: netip.MustParseAddr("192.0.2.2"), NoWeightLink: true}
)

// fakeGuestRoot makes a guest's file system as the kernel shows it without
// udev: vda (another disk) and vdb, whose sysfs serial is ours and whose
// /dev entry (a regular file here) holds info. It points hostinfoRoot at it
// for the test and returns the root and vdb's path.
func fakeGuestRoot(t *testing.T, info migratesetup.HostInfo) (root, vdb string) {
	t.Helper()
	root = t.TempDir()
	for name, serial := range map[string]string{"vda": "root-disk", "vdb": migratesetup.Serial} {
		dir := filepath.Join(root, "sys", "block", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "serial"), []byte(serial), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "dev", "vda"), []byte("a file system\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vdb = filepath.Join(root, "dev", "vdb")
	if err := migratesetup.Register(context.Background(), vdb, info); err != nil {
		t.Fatal(err)
	}
	old := hostinfoRoot
	hostinfoRoot = root
	t.Cleanup(func() { hostinfoRoot = old })
	return root, vdb
}

func TestHostinfoFindsTheDiskBySerial(t *testing.T) {
	_, vdb := fakeGuestRoot(t, guestHostA)
	r := runCLI(t, "", "hostinfo")
	want := "host-cfname=cfhostA host-ip=192.0.2.1 weight-link=on device=" + vdb + "\n"
	if r.code != exitOK || r.stdout != want || r.stderr != "" {
		t.Errorf("hostinfo: %+v, want stdout %q", r, want)
	}
}

func TestHostinfoJSON(t *testing.T) {
	_, vdb := fakeGuestRoot(t, guestHostB)
	r := runCLI(t, "", "hostinfo", "--format=json")
	var got map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != exitOK {
		t.Fatalf("hostinfo --format=json: %+v: %v", r, err)
	}
	want := map[string]any{"schema": "sfkvm.hostinfo/v1", "device": vdb,
		"host": map[string]any{"host_cfname": "cfhostB", "host_ip": "192.0.2.2", "weight_link": "off"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("JSON %v, want %v", got, want)
	}
}

func TestHostinfoDevice(t *testing.T) {
	fakeGuestRoot(t, guestHostA)
	other := filepath.Join(t.TempDir(), "disk")
	if err := migratesetup.Register(context.Background(), other, guestHostB); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", "hostinfo", "--device", other)
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "host-cfname=cfhostB ") || !strings.HasSuffix(r.stdout, " device="+other+"\n") {
		t.Errorf("hostinfo --device: %+v", r)
	}
}

func TestHostinfoNoDisk(t *testing.T) {
	root, vdb := fakeGuestRoot(t, guestHostA)
	if err := os.Remove(filepath.Join(root, "sys", "block", "vdb", "serial")); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"hostinfo"}, {"hostinfo", "--device", vdb + "-absent"}} {
		r := runCLI(t, "", args...)
		if r.code != exitNoInput || r.stdout != "" || !strings.Contains(r.stderr, "sfkvm hostinfo: no host information disk") ||
			!strings.Contains(r.stderr, "is this guest set up with sfkvm migratesetup -s on its host, and started since?") {
			t.Errorf("%v: %+v", args, r)
		}
	}
}

func TestHostinfoGarbage(t *testing.T) {
	_, vdb := fakeGuestRoot(t, guestHostA)
	if err := os.WriteFile(vdb, []byte("format 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", "hostinfo")
	if r.code != exitConfig || r.stdout != "" || !strings.HasPrefix(r.stderr, "sfkvm hostinfo: "+vdb+":1:") {
		t.Errorf("hostinfo of another format: %+v", r)
	}
}

func TestHostinfoErrorCodes(t *testing.T) {
	var b bytes.Buffer
	err := fmt.Errorf("reading /dev/vdb: %w", &os.PathError{Op: "open", Path: "/dev/vdb", Err: os.ErrPermission})
	if code := hostinfoError(&b, err); code != exitNoPerm || !strings.Contains(b.String(), "run it with sudo") {
		t.Errorf("permission denied: %d, %q", code, b.String())
	}
}

func TestHostinfoUsage(t *testing.T) {
	for _, args := range [][]string{
		{"hostinfo", "--interval", "0s", "--watch"},
		{"hostinfo", "extra"},
		{"hostinfo", "--format=yaml"},
	} {
		if r := runCLI(t, "", args...); r.code != exitUsage || r.stdout != "" {
			t.Errorf("%v: %+v", args, r)
		}
	}
}

// syncBuffer is a bytes.Buffer that a running command writes to while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitLines waits until buf holds n lines.
func waitLines(t *testing.T, buf *syncBuffer, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		lines := strings.SplitAfter(buf.String(), "\n")
		lines = lines[:len(lines)-1]
		if len(lines) >= n {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited for %d lines, have %q", n, lines)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A migration as the guest sees it: the disk's content changes under the
// same path. --watch prints the first reading, then one line per change
// (none while nothing changes), and ends on a signal with 130.
func TestHostinfoWatch(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			_, vdb := fakeGuestRoot(t, guestHostA)
			ctx, cancel := context.WithCancelCause(context.Background())
			var out, errb syncBuffer
			done := make(chan int)
			go func() {
				done <- run(ctx, []string{"hostinfo", "--watch", "--interval", "5ms", "--format=" + format}, strings.NewReader(""), &out, &errb)
			}()
			waitLines(t, &out, 1)
			time.Sleep(50 * time.Millisecond) // ten readings of the same host
			if err := migratesetup.Register(context.Background(), vdb, guestHostB); err != nil {
				t.Fatal(err)
			}
			waitLines(t, &out, 2)
			time.Sleep(50 * time.Millisecond)
			cancel(errInterrupted)
			code := <-done
			lines := strings.SplitAfter(out.String(), "\n")
			lines = lines[:len(lines)-1]
			if code != exitInterrupted || errb.String() != interruptedMessage+"\n" || len(lines) != 2 {
				t.Fatalf("exit %d, stderr %q, stdout %q", code, errb.String(), out.String())
			}
			if format == "text" {
				if !strings.HasSuffix(lines[0], " host-cfname=cfhostA host-ip=192.0.2.1 weight-link=on device="+vdb+"\n") ||
					!strings.HasSuffix(lines[1], " host-cfname=cfhostB host-ip=192.0.2.2 weight-link=off device="+vdb+"\n") {
					t.Errorf("lines %q", lines)
				}
				if _, err := time.Parse(time.RFC3339, strings.Fields(lines[1])[0]); err != nil {
					t.Errorf("no time stamp: %v", err)
				}
				return
			}
			var a, b migratesetup.Reading
			if json.Unmarshal([]byte(lines[0]), &a) != nil || json.Unmarshal([]byte(lines[1]), &b) != nil ||
				a.Host != guestHostA || b.Host != guestHostB || b.Time == nil || b.Time.Before(*a.Time) {
				t.Errorf("lines %q", lines)
			}
		})
	}
}

// A reading that fails while watching is said once on stderr, and the
// watch goes on to print the host when the disk reads again.
func TestHostinfoWatchReportsAFailedReadingOnce(t *testing.T) {
	_, vdb := fakeGuestRoot(t, guestHostA)
	ctx, cancel := context.WithCancelCause(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"hostinfo", "--watch", "--interval", "5ms"}, strings.NewReader(""), &out, &errb)
	}()
	waitLines(t, &out, 1)
	// Replaced whole, as Register does: a reader never sees it half written.
	if err := os.WriteFile(vdb+".new", []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(vdb+".new", vdb); err != nil {
		t.Fatal(err)
	}
	waitLines(t, &errb, 1)
	time.Sleep(50 * time.Millisecond)
	if err := migratesetup.Register(context.Background(), vdb, guestHostA); err != nil {
		t.Fatal(err)
	}
	waitLines(t, &out, 2)
	cancel(errInterrupted)
	<-done
	errLines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	if strings.Count(errb.String(), "hostinfo-syntax") != 1 || !strings.Contains(errLines[0], `got "garbage"`) ||
		!strings.HasPrefix(errLines[1], "sfkvm hostinfo: ") || errLines[len(errLines)-1] != interruptedMessage {
		t.Errorf("stderr %q", errb.String())
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 2 || !strings.Contains(lines[1], "cfhostA") {
		t.Errorf("stdout %q", out.String())
	}
}
