package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/site"
)

// keptDemo is `sfkvm demo --keep` running as its own process.
type keptDemo struct {
	cmd      *exec.Cmd
	tmp      string
	stderr   bytes.Buffer
	commands []string // the printed commands, one a line
	done     chan error
}

// startKeptDemo starts the built CLI's demo --keep and waits until it has
// printed its commands. The process is killed at the end of the test
// whatever happens.
func startKeptDemo(t *testing.T) *keptDemo {
	t.Helper()
	d := &keptDemo{tmp: t.TempDir(), done: make(chan error, 1)}
	d.cmd = exec.Command(cliBinary(t), "demo", "--keep")
	d.cmd.Env = append(os.Environ(), "TMPDIR="+d.tmp)
	d.cmd.Stderr = &d.stderr
	out, err := d.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.cmd.Process.Kill()
		<-d.done
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		d.done <- d.cmd.Wait()
	}()
	timeout := time.After(2 * time.Minute)
	var all []string
	inBlock := false
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("demo --keep ended before printing its commands:\n%s\nstderr:\n%s", strings.Join(all, "\n"), d.stderr.String())
			}
			all = append(all, l)
			switch {
			case strings.HasPrefix(l, "== the lab is kept in "):
				inBlock = true
			case inBlock && strings.HasPrefix(l, "   (site logs in to both hosts"):
				go func() {
					for range lines { // nothing more is expected; drain
					}
				}()
				return d
			case inBlock && !strings.HasPrefix(l, " "):
				d.commands = append(d.commands, l)
			}
		case <-timeout:
			t.Fatalf("waited 2 minutes for demo --keep to print its commands; it printed:\n%s", strings.Join(all, "\n"))
		}
	}
}

// stop sends sig and waits for the demo to end, at most a minute.
func (d *keptDemo) stop(t *testing.T, sig os.Signal) (code int) {
	t.Helper()
	if err := d.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.done:
		d.done <- err // for the cleanup
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(time.Minute):
		t.Fatalf("waited a minute for demo --keep to end after %v", sig)
	}
	return -1
}

// TestDemoKeep runs `sfkvm demo --keep` as its own process and each
// command it prints as another, through sh as a user would paste it; then
// Ctrl-C ends the demo, with nothing left behind.
func TestDemoKeep(t *testing.T) {
	d := startKeptDemo(t)
	want := []struct {
		cmd  string
		code int
		has  []string
	}{
		{"check", exitOK, []string{"NOTICE: The check of configuration file succeeded."}},
		{"probe", exitFailed, []string{"guest11  192.0.2.11  user1  ok", "guest22  192.0.2.22  user4  FAIL  sudo", "probe: 4 guests, 3 ok, 1 failed"}},
		{"preflight", exitFailed, []string{"1.2|sudo NOPASSWD|guest22 192.0.2.22|FAIL|sudo needs a password",
			"1.4|same on every host|192.0.2.2|OK|byte-identical", "1.7|shutdown facility|this host|OK",
			"2|host registered|OK|cfhost1 at 192.0.2.1"}},
		{"rotate", exitOK, []string{"dry run: nothing was changed", "guest guest11          would rotate", "guest guest21          would rotate",
			"host|this host|OLD|sha256:", "host|192.0.2.2|OLD|sha256:"}}, // the other host's copy checked by its lock script
		{"site", exitFailed, nil}, // its JSON: checkKeptSite
	}
	// With libvirt's test driver (a cgo build), the kept fixture holds the
	// guests as the demo set them up; the static build says it has none.
	libvirtRows := []string{"3|guest set up|guest11|OK|host information disk", "3|guest reads host|guest21|OK|reads cfhost1 at 192.0.2.1"}
	_, closeStore, err := openStore(context.Background(), "test:///default")
	withLibvirt := err == nil
	if withLibvirt {
		closeStore()
	} else {
		libvirtRows = []string{"3|guest set up|(guests here)|SKIP|libvirt cannot be reached"}
	}
	want[2].has = append(want[2].has, libvirtRows...)
	if len(d.commands) != len(want) {
		t.Fatalf("printed commands %q, want %d", d.commands, len(want))
	}
	for i, w := range want {
		line := d.commands[i]
		if !strings.Contains(line, " "+w.cmd+" ") {
			t.Errorf("command %d is %q, want %s", i+1, line, w.cmd)
			continue
		}
		if w.cmd == "site" {
			line += " --format=json"
		}
		cmd := exec.Command("sh", "-c", line)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stderr.String(), ": note: ") {
			// A note of a flag used as before issue 20: the demo gives
			// each file its own flag (--host-known-hosts).
			t.Errorf("%s: the printed command draws a note:\n%s", w.cmd, stderr.String())
		}
		if code != w.code {
			t.Errorf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", line, code, w.code, stdout.String(), stderr.String())
		}
		for _, h := range w.has {
			if !hasRow(stdout.String(), h) {
				t.Errorf("%s: stdout lacks %q:\n%s", w.cmd, h, stdout.String())
			}
		}
		if w.cmd == "preflight" {
			if n := strings.Count(stdout.String(), " FAIL "); n != 1 {
				t.Errorf("preflight: %d FAIL rows, want only guest22's sudo:\n%s", n, stdout.String())
			}
		}
		if w.cmd == "site" {
			checkKeptSite(t, stdout.Bytes(), withLibvirt)
		}
		// No password of the lab's (the guests', the hosts' root's, the
		// VNC one in the domains) in any command's output, preflight's
		// on the hosts included.
		for _, secret := range []string{"demo-1-", "demo-2-", "demo-3-", "demo-4-", "host2-root-", "vnc-secret"} {
			if strings.Contains(stdout.String()+stderr.String(), secret) {
				t.Errorf("%s: the output shows a password (%s...)", w.cmd, secret)
			}
		}
	}
	if code := d.stop(t, os.Interrupt); code != exitInterrupted {
		t.Errorf("demo --keep after SIGINT: exit %d, want %d\n%s", code, exitInterrupted, d.stderr.String())
	}
	if !strings.HasSuffix(d.stderr.String(), interruptedMessage+"\n") {
		t.Errorf("stderr does not end with %q:\n%s", interruptedMessage, d.stderr.String())
	}
	if left, _ := filepath.Glob(filepath.Join(d.tmp, "*")); len(left) != 0 {
		t.Errorf("demo --keep left %v behind", left)
	}
}

// SIGTERM (systemd, kill) cleans up as Ctrl-C does.
func TestDemoKeepSIGTERM(t *testing.T) {
	d := startKeptDemo(t)
	if code := d.stop(t, syscall.SIGTERM); code != exitInterrupted {
		t.Errorf("demo --keep after SIGTERM: exit %d, want %d\n%s", code, exitInterrupted, d.stderr.String())
	}
	if left, _ := filepath.Glob(filepath.Join(d.tmp, "*")); len(left) != 0 {
		t.Errorf("demo --keep left %v behind", left)
	}
}

// hasRow reports whether a line of out holds the parts of row, separated
// by "|", in that order (the table's columns are as wide as its paths).
func hasRow(out, row string) bool {
	for _, l := range strings.Split(out, "\n") {
		rest, ok := l, true
		for _, p := range strings.Split(row, "|") {
			i := strings.Index(rest, p)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(p):]
		}
		if ok {
			return true
		}
	}
	return false
}

// --lab-routes is honoured only for a file of documentation addresses
// routed to loopback, opened as a secret: 65 for a route elsewhere, 77 for
// a file that others may write, 66 for a missing one; the same in every
// command that takes it.
func TestLabRoutesRefused(t *testing.T) {
	dir := t.TempDir()
	elsewhere := filepath.Join(dir, "elsewhere")
	writable := filepath.Join(dir, "writable")
	if err := os.WriteFile(elsewhere, []byte("192.0.2.11:22 10.0.0.1:22\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(writable, []byte("192.0.2.11:22 127.0.0.1:2222\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(writable, 0o622); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{
		{"probe", "-f", "testdata/ok.conf", "--no-perm", "--password-stdin"},
		{"preflight", "-f", "none"},
		{"rotate", "-f", "none", "--old-password-file", "none"},
		{"site", "--site-hosts", "192.0.2.1"},
	} {
		for _, tc := range []struct {
			path string
			code int
			says string
		}{
			{elsewhere, exitConfig, "10.0.0.1 is outside 127.0.0.0/8"},
			{writable, exitNoPerm, "group or others"},
			{filepath.Join(dir, "none"), exitNoInput, "no such file"},
		} {
			r := runCLI(t, "pw\n", append(cmd, "--lab-routes", tc.path)...)
			if r.code != tc.code || !strings.HasPrefix(r.stderr, "sfkvm "+cmd[0]+": --lab-routes: ") || !strings.Contains(r.stderr, tc.says) {
				t.Errorf("%s --lab-routes %s: exit %d, want %d saying %q:\n%s", cmd[0], filepath.Base(tc.path), r.code, tc.code, tc.says, r.stderr)
			}
		}
	}
}

// checkKeptSite checks the JSON report of the kept demo's sfkvm site: both
// hosts reached, each with its own preflight (its registration, its
// guests); the site's checks across them OK (one file, one weight link,
// every host-cfname registered, one key per guest, each guest set up
// where it runs, or SKIP where the static build cannot list domains); and
// the only FAILs are guest22's sudo, once from each host.
func checkKeptSite(t *testing.T, out []byte, withLibvirt bool) {
	t.Helper()
	var rep site.Report
	if err := json.Unmarshal(out, &rep); err != nil || rep.Schema != site.Schema {
		t.Fatalf("site: not a %s report (%v):\n%s", site.Schema, err, out)
	}
	hosts := map[string]string{"192.0.2.1": "cfhost1", "192.0.2.2": "cfhost2"}
	if len(rep.Hosts) != 2 {
		t.Errorf("site: %d hosts, want 2: %+v", len(rep.Hosts), rep.Hosts)
	}
	for _, h := range rep.Hosts {
		if hosts[h.Name] == "" || h.CFName != hosts[h.Name] || h.Status != preflight.OK || h.Counts == nil || h.Counts.Fail != 1 {
			t.Errorf("site: host %+v, want %s reached, its preflight with one FAIL", h, hosts[h.Name])
		}
	}
	// One row of each kind, for each target ("": the check's only row).
	row := func(host string, check preflight.ID, target string) *site.Result {
		var found *site.Result
		for i, r := range rep.Results {
			if r.Host == host && r.Check == check && (r.Target == target || target == "") {
				if found != nil {
					t.Errorf("site: two rows %s %s %s", host, check, target)
				}
				found = &rep.Results[i]
			}
		}
		if found == nil {
			t.Errorf("site: no row %s %s %q", host, check, target)
			return &site.Result{}
		}
		return found
	}
	want := func(r *site.Result, status preflight.Status, says string) {
		t.Helper()
		if r.Status != status || !strings.Contains(r.Reason, says) {
			t.Errorf("site: %s %s %s: %s %q, want %s saying %q", r.Host, r.Check, r.Target, r.Status, r.Reason, status, says)
		}
	}
	for addr := range hosts {
		want(row("", site.HostReached.ID, addr), preflight.OK, "preflight ran")
		want(row(addr, preflight.GuestSudo.ID, "guest22 192.0.2.22"), preflight.Fail, "sudo needs a password")
		want(row(addr, preflight.HostRegistered.ID, ""), preflight.OK, hosts[addr]+" at "+addr)
		want(row(addr, preflight.ConfCopies.ID, otherHost(addr)), preflight.OK, "byte-identical")
		want(row(addr, preflight.HostWeightLink.ID, "(every host)"), preflight.OK, "the same on all 2 hosts")
	}
	want(row("", site.ConfSame.ID, ""), preflight.OK, "the same on all 2 hosts")
	want(row("", site.WeightLinkSame.ID, "(every host)"), preflight.OK, "-w on on all 2 hosts")
	guestHost := map[string]string{"guest11": "192.0.2.1", "guest12": "192.0.2.2", "guest21": "192.0.2.1", "guest22": "192.0.2.2"}
	for g, addr := range guestHost {
		want(row("", site.HostCFNameKnown.ID, g), preflight.OK, hosts[addr]+" is registered, by "+addr)
		want(row("", site.GuestKeySame.ID, g+" 192.0.2."+strings.TrimPrefix(g, "guest")), preflight.OK, "one key on all 2 hosts")
		if withLibvirt {
			want(row("", site.GuestSetUpWhereRuns.ID, g), preflight.OK, "runs on "+addr+", set up there")
			want(row(addr, preflight.GuestSetUp.ID, g), preflight.OK, "host information disk")
		} else {
			want(row("", site.GuestSetUpWhereRuns.ID, g), preflight.Skip, "its domains were not listed")
		}
	}
	if withLibvirt {
		// cfhost2's guest reads cfhost2's registration through its disk.
		want(row("192.0.2.2", preflight.GuestReadsHost.ID, "guest12"), preflight.OK, "reads cfhost2 at 192.0.2.2")
	}
	var fails []string
	for _, r := range rep.Results {
		if r.Status == preflight.Fail {
			fails = append(fails, fmt.Sprintf("%s %s %s", r.Host, r.Check, r.Target))
		}
	}
	if len(fails) != 2 || rep.Counts.Fail != 2 {
		t.Errorf("site: FAIL rows %q (counts %+v), want guest22's sudo on each host only", fails, rep.Counts)
	}
}

// otherHost is the other lab host's address.
func otherHost(addr string) string {
	if addr == "192.0.2.1" {
		return "192.0.2.2"
	}
	return "192.0.2.1"
}
