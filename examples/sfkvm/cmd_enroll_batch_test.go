package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sfkvm/sfkvm/kvmguests"
)

// batchUser and batchDomain are the user and domain of the lab's guest at
// l.ips[i] in a batch.
func batchUser(i int) string   { return fmt.Sprintf("pclb%d", i) }
func batchDomain(i int) string { return fmt.Sprintf("guestb%d", i) }

// guestList writes a --guest-list of the lab's addresses: each guest its
// user, domain and CF name, the sshd's key fingerprint.
func (l *enrollLab) guestList(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("# guest_IP and what differs from guest to guest\n\n")
	for i, ip := range l.ips {
		fmt.Fprintf(&b, "%s guest-user=%s domain=%s cfname=cfb%d guest-key-fingerprint=%s\n", ip, batchUser(i), batchDomain(i), i, l.fingerprint())
	}
	return writeFile(t, filepath.Join(t.TempDir(), "guests"), b.String(), 0o600)
}

// batchArgs are the flags of a batch enrollment in the lab.
func (l *enrollLab) batchArgs(list string, more ...string) []string {
	return append([]string{"enroll", "-f", l.conf, "--guest-list", list, "--password-stdin", "--native", "--key", l.keyFile,
		"--admin-identity", l.adminKey, "--known-hosts", l.known, "--ssh-config", l.sshConfig, "--hosts", l.hostsFlag,
		"--host-cfname", "cfhost2", "--host-addresses", strings.Join(l.hostIPs, ","), "--hostinfo", l.hostinfo, "--no-preflight", "--parallel", "2"}, more...)
}

// batchState checks every copy identical and returns the batch guests
// (by index) that the file holds; each one's user logs in with pw and
// has sudo -n, and each one that the file does not hold has no user and
// no drop-in on the guest. The guest's sudoers is valid.
func (l *enrollLab) batchState(t *testing.T, pw string) []int {
	t.Helper()
	gs := l.identical(t)
	var in []int
	for i, ip := range l.ips {
		var g *kvmguests.Guest
		for j := range gs {
			if gs[j].Name == batchDomain(i) {
				g = &gs[j]
			}
		}
		_, noUser := l.inGuest(t, "id", "-u", batchUser(i))
		_, noRule := os.Stat(l.guestFile("/etc/sudoers.d/sfkvm-" + batchUser(i)))
		if g == nil {
			if noUser == nil || noRule == nil {
				t.Errorf("%s is not in the file but the guest keeps its user (%v) or drop-in (%v)", batchDomain(i), noUser == nil, noRule == nil)
			}
			continue
		}
		in = append(in, i)
		if g.IP.String() != ip || g.User != batchUser(i) || g.CFName != fmt.Sprintf("cfb%d", i) || g.ClusterName != "cluster7" || g.HostCFName != "cfhost2" {
			t.Errorf("line of %s: %v", batchDomain(i), g)
		}
		if err := l.loginAs(t, ip, batchUser(i), pw); err != nil {
			t.Errorf("%s: no login as %s with the password: %v", batchDomain(i), batchUser(i), err)
		}
	}
	if out, err := l.inGuest(t, "visudo", "-c"); err != nil {
		t.Errorf("the guest's sudoers is not valid: %v %s", err, out)
	}
	return in
}

// rowOf is the table row of the guest at ip, its fields after the
// address joined by one space.
func rowOf(out, ip string) string {
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == ip {
			return strings.Join(f[1:], " ")
		}
	}
	return ""
}

// A batch of three guests where useradd fails for one (a group of its
// user's name exists): the other two land, in one file that every host
// holds, and the failed one leaves nothing on the guest. Once it is
// fixed, the same batch enrolls it and leaves the others as they are; a
// third run changes nothing and says so.
func TestEnrollBatchOneFailsTheOthersLand(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	l := newEnrollLabN(t, 2, 3)
	if out, err := l.inGuest(t, "groupadd", batchUser(1)); err != nil {
		t.Fatalf("groupadd in the guest: %v %s", err, out)
	}
	list := l.guestList(t)
	conf, _ := os.ReadFile(l.conf)
	dry := runCLI(t, enrollPW+"\n", l.batchArgs(list, "--dry-run")...)
	if dry.code != exitOK || !strings.Contains(dry.stdout, "the file would hold 3 of 3 guests: guestb0 guestb1 guestb2") ||
		!strings.HasPrefix(rowOf(dry.stdout, l.ips[2]), "guestb2 pclb2 would") || !strings.Contains(dry.stdout, "+guestb1 cfhost2 cluster7 cfb1 "+l.ips[1]+" pclb1 <token hmac:") {
		t.Fatalf("dry run: exit %d\n%s%s", dry.code, dry.stdout, dry.stderr)
	}
	if now, _ := os.ReadFile(l.conf); !bytes.Equal(now, conf) || len(l.batchState(t, enrollPW)) != 0 {
		t.Fatal("the dry run changed something")
	}
	r := runCLI(t, enrollPW+"\n", l.batchArgs(list)...)
	t.Logf("first run:\n%s%s", r.stdout, r.stderr)
	if r.code != exitFailed || strings.Contains(r.stdout+r.stderr, enrollPW) ||
		!strings.Contains(r.stderr, "1 of 3 guests not enrolled ("+l.ips[1]+")") ||
		!strings.Contains(r.stdout, "every host's file holds 2 of 3 guests (2 enrolled now, 0 already): guestb0 guestb2") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for i, want := range []string{"guestb0 pclb0 enrolled", "guestb1 pclb1 failed user:", "guestb2 pclb2 enrolled"} {
		if row := rowOf(r.stdout, l.ips[i]); !strings.HasPrefix(row, want) {
			t.Errorf("row of %s: %q, want %q...", l.ips[i], row, want)
		}
	}
	if !strings.Contains(r.stdout, "useradd -m pclb1: exit") {
		t.Error("the failed guest's row does not say why")
	}
	if got := l.batchState(t, enrollPW); fmt.Sprint(got) != "[0 2]" {
		t.Fatalf("the file holds guests %v, want [0 2]", got)
	}

	// Fixed: the same batch enrolls the third, the others stay.
	if out, err := l.inGuest(t, "groupdel", batchUser(1)); err != nil {
		t.Fatalf("groupdel: %v %s", err, out)
	}
	before, _ := os.ReadFile(l.conf)
	r = runCLI(t, enrollPW+"\n", l.batchArgs(list, "--format=json")...)
	if r.code != exitOK {
		t.Fatalf("second run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if err := checkJSONContract([]byte(r.stdout), "sfkvm.enroll.batch/v1"); err != nil {
		t.Error(err)
	}
	var rep struct {
		InFile []string `json:"in_file"`
		Guests []struct {
			Result string `json:"result"`
			InFile bool   `json:"in_file"`
		} `json:"guests"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rep.InFile) != "[guestb0 guestb1 guestb2]" || len(rep.Guests) != 3 || rep.Guests[0].Result != "already" ||
		rep.Guests[1].Result != "enrolled" || rep.Guests[2].Result != "already" {
		t.Errorf("second run: %+v\n%s", rep, r.stdout)
	}
	if got := l.batchState(t, enrollPW); fmt.Sprint(got) != "[0 1 2]" {
		t.Fatalf("the file holds guests %v, want all", got)
	}
	after, _ := os.ReadFile(l.conf)
	for _, line := range strings.Split(string(before), "\n") {
		if !strings.Contains(string(after), line+"\n") {
			t.Errorf("the second run changed the line %q", line)
		}
	}

	// A third run changes nothing and says so.
	r = runCLI(t, enrollPW+"\n", l.batchArgs(list)...)
	if r.code != exitOK || !strings.Contains(r.stdout, "nothing changed: every guest was enrolled already") ||
		!strings.Contains(r.stdout, "every host's file holds 3 of 3 guests (0 enrolled now, 3 already)") {
		t.Fatalf("third run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if now, _ := os.ReadFile(l.conf); !bytes.Equal(now, after) {
		t.Error("the third run changed the file")
	}
}

// --generate with a batch: a password per guest, in a new root-only file
// of one "guest_IP password" a line, each one the guest's.
func TestEnrollBatchGeneratesAPasswordPerGuest(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	l := newEnrollLabN(t, 1, 2)
	gen := filepath.Join(t.TempDir(), "passwords")
	var args []string
	for _, a := range l.batchArgs(l.guestList(t), "--generate", gen) {
		if a != "--password-stdin" {
			args = append(args, a)
		}
	}
	r := runCLI(t, "", args...)
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	fi, err := os.Stat(gen)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v %v", gen, fi, err)
	}
	b, _ := os.ReadFile(gen)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines in the passwords file", len(lines))
	}
	pws := map[string]bool{}
	for i, line := range lines {
		ip, pw, _ := strings.Cut(line, " ")
		if ip != l.ips[i] || pw == "" || strings.Contains(r.stdout+r.stderr, pw) {
			t.Fatalf("line %d: %q (or the password is in the output)", i+1, ip)
		}
		pws[pw] = true
		if err := l.loginAs(t, ip, batchUser(i), pw); err != nil {
			t.Errorf("guest %d: %v", i, err)
		}
	}
	if len(pws) != 2 {
		t.Error("the guests have the same password")
	}
}

// SIGINT during a batch: before the one write, no copy changes and no
// guest keeps what the run made on it; at the write, every host gets
// every guest's line.
func TestEnrollBatchInterrupted(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	l := newEnrollLabN(t, 2, 2)
	l.onHostSSH(t, "cfhost3")
	bin := cliBinary(t)
	list := l.guestList(t)
	for _, st := range []struct {
		name     string
		n        int // cfhost3's connection: 1 the lock, 2 the keys, 3 the write
		finishes bool
	}{{"lock", 1, false}, {"keys", 2, false}, {"write", 3, true}} {
		key := l.hook.next("ssh-cfhost3", st.n)
		code, out, errs := interruptAt(t, l.hook, key, st.name, bin, enrollPW+"\n", l.batchArgs(list)...)
		if code != exitInterrupted || strings.Contains(out+errs, "MISMATCH") {
			t.Fatalf("%s: exit %d\n%s%s", st.name, code, out, errs)
		}
		failedBefore := t.Failed()
		got := l.batchState(t, enrollPW)
		if !failedBefore && t.Failed() {
			t.Logf("%s: the run said:\n%s%s", st.name, out, errs)
		}
		switch {
		case st.finishes && fmt.Sprint(got) != "[0 1]":
			t.Errorf("%s: the file holds guests %v, want both\n%s%s", st.name, got, out, errs)
		case !st.finishes && len(got) != 0:
			t.Errorf("%s: the file holds guests %v, want none\n%s%s", st.name, got, out, errs)
		}
	}
}

// A bad line of --guest-list is named by file, line and field, before
// anything is reached.
func TestEnrollGuestListBadLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct{ text, want string }{
		{"192.0.2.1 guest-user=u1\nguest2 guest-user=u2\n", ":2: field 1 \"guest2\": not an IP address"},
		{"# guests\n192.0.2.1 domian=g1\n", ":2: field 2 \"domian=g1\": unknown key domian (keys: guest-user, domain,"},
		{"192.0.2.1 guest-user=u1 domain\n", ":1: field 3 \"domain\": not KEY=VALUE"},
		{"192.0.2.1 guest-key-fingerprint=MD5:aa\n", ":1: field 2 \"guest-key-fingerprint=MD5:aa\": not SHA256:..."},
		{"192.0.2.1\n\n192.0.2.1\n", ":3: field 1 \"192.0.2.1\": the same guest as line 1"},
		{"# nothing\n", ": no guest in it"},
	} {
		list := writeFile(t, filepath.Join(dir, "guests"), tc.text, 0o600)
		r := runCLI(t, enrollPassword, "enroll", "--guest-list", list, "--guest-user", "u", "--host-cfname", "h", "-f", filepath.Join(dir, "none"),
			"--sfcipher", "/bin/true", "--password-stdin", "--no-preflight")
		if r.code != exitConfig || !strings.Contains(r.stderr, "sfkvm enroll: --guest-list "+list+tc.want) || r.stdout != "" {
			t.Errorf("%q: exit %d\n%s%s", tc.text, r.code, r.stdout, r.stderr)
		}
	}
	// A line without a user, and no --guest-user.
	list := writeFile(t, filepath.Join(dir, "guests"), "192.0.2.1 domain=g1\n", 0o600)
	if r := runCLI(t, enrollPassword, "enroll", "--guest-list", list, "--host-cfname", "h", "--password-stdin"); r.code != exitUsage ||
		!strings.Contains(r.stderr, "guest 1 (192.0.2.1) has no guest-user= and --guest-user is not given") {
		t.Errorf("no user: %+v", r)
	}
	// A guest's address as well, and --domain for every guest.
	if r := runCLI(t, enrollPassword, "enroll", "--guest-list", list, "--guest-user", "u", "192.0.2.9"); r.code != exitUsage || !strings.Contains(r.stderr, "not both") {
		t.Errorf("an address too: %+v", r)
	}
	if r := runCLI(t, enrollPassword, "enroll", "--guest-list", list, "--guest-user", "u", "--domain", "g"); r.code != exitUsage || !strings.Contains(r.stderr, "domain= and cfname= on each line") {
		t.Errorf("--domain: %+v", r)
	}
}

// A host goes away at the batch's one write: this host and the others
// hold every landed line, the host left behind is named with the command
// that finishes it, and that command, as printed, finishes it.
func TestEnrollBatchHostGoesAwayAtTheWrite(t *testing.T) {
	t.Parallel() // a lab of its own (namespaces, sshd, /etc copy): waits for logins more than it computes
	l := newEnrollLabN(t, 2, 2)
	l.onHostSSH(t, "cfhost3")
	key := "ssh-cfhost3-3" // the write
	l.hook.pause(t, key)
	args := l.batchArgs(l.guestList(t))
	done := make(chan struct{})
	var r cliResult
	go func() {
		defer close(done)
		r = runBinIn(t, l.dir, enrollPW+"\n", args...)
	}()
	l.hook.waitReached(t, key, done)
	l.hosts[1].Stop()
	l.hook.release(t, key, "ok")
	<-done
	if r.code != exitFailed || !strings.Contains(r.stderr, "MISMATCH") || !strings.Contains(r.stdout, "to finish: sfkvm rotate --resume -f "+l.conf) {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	this, _ := os.ReadFile(l.conf)
	h2, _ := os.ReadFile(l.hostFiles[0])
	h3, _ := os.ReadFile(l.hostFiles[1])
	if string(this) != string(h2) || string(this) == string(h3) || !strings.Contains(string(this), "guestb0 ") || !strings.Contains(string(this), "guestb1 ") {
		t.Fatalf("this host and cfhost2 should hold both lines, cfhost3 neither:\n%s\n%s\n%s", this, h2, h3)
	}
	l.hosts[1].Restart(t)
	if res := runBinIn(t, t.TempDir(), "", printedResume(t, r.stdout)...); res.code != exitOK {
		t.Fatalf("resume: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if got := l.batchState(t, enrollPW); fmt.Sprint(got) != "[0 1]" {
		t.Errorf("after the resume the file holds guests %v", got)
	}
}

// TestEnrollBatchStepFiveFromRegistrations: without --host-addresses a
// batch reads every host's registration, as one guest's enroll does, and
// each guest's report shows the addresses with where they came from; the
// hosts' keys are in the guests' root known_hosts.
func TestEnrollBatchStepFiveFromRegistrations(t *testing.T) {
	t.Parallel() // its own sshd, namespace and users: waits for logins, not the CPU
	l := newEnrollLabWith(t, 2, labOptions{routed: true, addrs: 2})
	r := runCLI(t, enrollPW+"\n", without(l.batchArgs(l.guestList(t), "--format=json"), "--host-addresses")...)
	if r.code != exitOK || strings.Contains(r.stdout+r.stderr, enrollPW) {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var rep struct {
		Guests []struct {
			Address       string `json:"address"`
			HostAddresses []struct {
				Host, Address, Source string
			} `json:"host_addresses"`
			Steps []struct{ Name, State string }
		} `json:"guests"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Guests) != len(l.ips) {
		t.Fatalf("%v: %d guests\n%s", err, len(rep.Guests), r.stdout)
	}
	want := map[string]string{"this host": l.thisIP + ":22", "cfhost2": l.hostIPs[0] + ":22", "cfhost3": l.hostIPs[1] + ":22"}
	for _, g := range rep.Guests {
		if len(g.HostAddresses) != len(want) {
			t.Errorf("%s: host addresses %+v, want %v", g.Address, g.HostAddresses, want)
		}
		for _, a := range g.HostAddresses {
			if want[a.Host] != a.Address || a.Source != "registration of "+a.Host+" ("+l.hostinfo+")" {
				t.Errorf("%s: host address %+v, want %s from its registration", g.Address, a, want[a.Host])
			}
		}
		for _, s := range g.Steps {
			if s.Name == "guest-knows" {
				t.Errorf("%s: step 5 left: %+v", g.Address, s)
			}
		}
	}
	gk, err := os.ReadFile(l.guestFile("/root/.ssh/known_hosts"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(gk), keyBlob(l.this.KnownHostsLine(l.thisIP, 22, "ssh-ed25519"))) {
		t.Error("the guests' root known_hosts lacks this host's key")
	}
	for i, h := range l.hosts {
		if !strings.Contains(string(gk), keyBlob(h.KnownHostsLine(l.hostIPs[i], 22, "ssh-ed25519"))) {
			t.Errorf("the guests' root known_hosts lacks host %d's key", i)
		}
	}
}

// TestEnrollGuestListNotAFile: a --guest-list that is a FIFO, a device
// or a folder is refused at once with exit 66, naming what it is, never
// waited on or read (a FIFO with no writer and /dev/zero each hung the
// run).
func TestEnrollGuestListNotAFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, says string }{
		{fifo, "is not a regular file (a FIFO)"},
		{"/dev/zero", "is not a regular file (a character device)"},
		{dir, "is not a regular file (a folder)"},
	} {
		r := runWithin(t, "enroll", "--guest-list", tc.path, "--guest-user", "u", "--host-cfname", "h", "-f", filepath.Join(dir, "none"),
			"--sfcipher", "/bin/true", "--password-stdin", "--no-preflight")
		if r.code != exitNoInput || !strings.Contains(r.stderr, "sfkvm enroll: --guest-list "+tc.path+": "+tc.says) {
			t.Errorf("--guest-list %s: exit %d, stderr %q; want 66 and %q", tc.path, r.code, r.stderr, tc.says)
		}
	}
}
