package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/sfkvm/sfkvm/internal/promtest"
	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/migratesetup/libvirtstore"
	"github.com/sfkvm/sfkvm/preflight/metrics"
)

// monitorEnv is a host where nothing is installed and whose guests refuse
// connections at once (loopback, port 1): a run takes well under a
// second and FAILs.
type monitorEnv struct {
	dir, conf, textfile string
}

func newMonitorEnv(t *testing.T) monitorEnv {
	t.Helper()
	dir := t.TempDir()
	m := monitorEnv{dir: dir, conf: filepath.Join(dir, "kvmguests.conf"), textfile: filepath.Join(dir, "textfile")}
	m.writeConf(t, "user1")
	if err := os.Mkdir(m.textfile, 0o755); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m monitorEnv) writeConf(t *testing.T, user string) {
	t.Helper()
	conf := "guest11 cfhost1 cluster1 cfguest11 127.0.0.11 " + user + " D0860AB04E1B8FA3\n" +
		"guest12 cfhost2 cluster1 cfguest12 127.0.0.12 user2 D0860AB04E1B8FA3\n"
	if err := os.WriteFile(m.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (m monitorEnv) run(t *testing.T, args ...string) cliResult {
	t.Helper()
	base := []string{"preflight", "-f", m.conf, "--no-perm", "--port", "1", "--hostinfo", m.dir + "/hostinfo",
		"--sdtool", m.dir + "/sdtool", "--cftool", m.dir + "/cftool", "--connect", "test://" + m.dir + "/missing.xml",
		"--known-hosts", m.dir + "/known_hosts", "--timeout", "60s"}
	return runCLI(t, "", append(base, args...)...)
}

// textfileStatus parses the textfile and returns each series of the check
// status metric as "check target" -> status, and the conf checksum.
func textfileStatus(t *testing.T, path string) (map[string]string, string) {
	t.Helper()
	fams := promtest.ParseFile(t, path)
	lv := func(m *dto.Metric, name string) string { return promtest.Labels(m)[name] }
	out := map[string]string{}
	for _, m := range fams[metrics.CheckStatus].GetMetric() {
		out[lv(m, "check")+" "+lv(m, "target")] = lv(m, "status")
	}
	var sum string
	if ms := fams[metrics.ConfInfo].GetMetric(); len(ms) == 1 {
		sum = lv(ms[0], "sha256")
	}
	return out, sum
}

// TestPreflightTextfile: --textfile writes the metrics after the run, and
// the next run compares the file's checksum with the one written then.
func TestPreflightTextfile(t *testing.T) {
	m := newMonitorEnv(t)
	prom := filepath.Join(m.textfile, metrics.FileName)
	changed := func(want string) {
		t.Helper()
		st, sum := textfileStatus(t, prom)
		b, _ := os.ReadFile(m.conf)
		h := sha256.Sum256(b)
		if sum != hex.EncodeToString(h[:]) {
			t.Errorf("conf checksum %q, want the file's", sum)
		}
		if got := st["conf.changed "+m.conf]; got != want {
			t.Errorf("conf.changed: %q, want %q (%d series)", got, want, len(st))
		}
		if st["guest.hostkey guest11 127.0.0.11"] != "fail" {
			t.Errorf("guest.hostkey guest11: %q", st["guest.hostkey guest11 127.0.0.11"])
		}
	}
	for i, want := range []string{"skip", "ok"} {
		if r := m.run(t, "--textfile", m.textfile); r.code != exitFailed || !strings.Contains(r.stdout, "preflight: ") {
			t.Fatalf("run %d: exit %d\n%s%s", i+1, r.code, r.stdout, r.stderr)
		}
		changed(want)
	}
	m.writeConf(t, "user9")
	r := m.run(t, "--textfile", m.textfile)
	changed("warn")
	if !regexp.MustCompile(`unchanged since last run +` + regexp.QuoteMeta(m.conf) + ` +WARN +changed since the last run: sha256 [0-9a-f]{12}, was [0-9a-f]{12}`).MatchString(r.stdout) {
		t.Errorf("table:\n%s", r.stdout)
	}
}

// refusedFolder is a textfile folder that breaks a rule, with the exit code
// and the words it gets.
type refusedFolder struct {
	dir  string
	code int
	msg  string
}

// refusedFolders makes, in dir, one textfile folder for each rule (a link
// points at good), as preflight's and the site's tests refuse them.
func refusedFolders(t *testing.T, dir, good string) []refusedFolder {
	t.Helper()
	open := filepath.Join(dir, "open")
	link := filepath.Join(dir, "link")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	return []refusedFolder{
		{open, exitNoPerm, "is accessible to group or others"},
		{link, exitNoPerm, "is a symbolic link"},
		{"relative", exitNoInput, "no such file"}, // resolved against the working folder
		{filepath.Join(dir, "none"), exitNoInput, "no such file"},
	}
}

// A textfile folder that breaks a rule stops the command before the run,
// with the code of its kind; in plugin mode, every one is UNKNOWN.
func TestPreflightTextfileRefused(t *testing.T) {
	m := newMonitorEnv(t)
	for _, tc := range refusedFolders(t, m.dir, m.textfile) {
		r := m.run(t, "--textfile", tc.dir)
		if r.code != tc.code || r.stdout != "" || !strings.Contains(r.stderr, "--textfile: ") || !strings.Contains(r.stderr, tc.msg) {
			t.Errorf("%s: exit %d, want %d; stdout %q, stderr %q", tc.dir, r.code, tc.code, r.stdout, r.stderr)
		}
		r = m.run(t, "--nagios", "--textfile", tc.dir)
		if r.code != 3 || !strings.HasPrefix(r.stdout, "SFKVM PREFLIGHT UNKNOWN - --textfile: ") || strings.Count(r.stdout, "\n") != 1 {
			t.Errorf("--nagios %s: exit %d, stdout %q", tc.dir, r.code, r.stdout)
		}
	}
	if ents, _ := os.ReadDir(m.textfile); len(ents) != 0 {
		t.Errorf("written through the link: %v", ents)
	}
}

// TestPreflightNagios: the plugin's status line and return codes from the
// command: CRITICAL and UNKNOWN here, WARNING in TestPreflightNagiosWarning
// (OK, which needs guests that log in, in the package's TestWritePlugin).
func TestPreflightNagios(t *testing.T) {
	m := newMonitorEnv(t)
	r := m.run(t, "--nagios")
	first, rest, _ := strings.Cut(r.stdout, "\n")
	line := regexp.MustCompile(`^SFKVM PREFLIGHT CRITICAL - [1-9][0-9]* FAIL, 0 WARN: [a-z]+\.[a-z]+ [^|]+ \| ok=[0-9]+;;;0 warn=0;0;;0 fail=[1-9][0-9]*;;0;0 skip=[0-9]+;;;0 duration=[0-9]+\.[0-9]{3}s;;;0$`)
	if r.code != 2 || !line.MatchString(first) || !strings.Contains(rest, "FAIL guest.hostkey guest11 127.0.0.11: cannot reach the guest") {
		t.Errorf("exit %d, stdout:\n%s", r.code, r.stdout)
	}
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"unknown flag", []string{"--nagios", "--bogus"}, "usage: see sfkvm preflight --help"},
		{"with json", []string{"--nagios", "--format=json"}, "give --nagios or --format=json, not both"},
		{"missing key", []string{"--nagios", "--key", m.dir + "/none.key"}, "--key: "},
		{"bad argument", []string{"--nagios", "extra"}, `unexpected argument "extra"`},
	} {
		r := m.run(t, tc.args...)
		if r.code != 3 || !strings.HasPrefix(r.stdout, "SFKVM PREFLIGHT UNKNOWN - "+tc.msg) || strings.Count(r.stdout, "\n") != 1 {
			t.Errorf("%s: exit %d, stdout %q", tc.name, r.code, r.stdout)
		}
	}
}

// A run that a signal cut short leaves the last whole run's textfile as
// it was: its checks did not fail, they were stopped.
func TestPreflightTextfileInterrupted(t *testing.T) {
	m := newMonitorEnv(t)
	if r := m.run(t, "--textfile", m.textfile); r.code != exitFailed {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	prom := filepath.Join(m.textfile, metrics.FileName)
	before, err := os.ReadFile(prom)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errInterrupted)
	args := []string{"preflight", "-f", m.conf, "--no-perm", "--port", "1", "--hostinfo", m.dir + "/hostinfo",
		"--sdtool", m.dir + "/sdtool", "--cftool", m.dir + "/cftool", "--connect", "test://" + m.dir + "/missing.xml",
		"--known-hosts", m.dir + "/known_hosts", "--textfile", m.textfile}
	var out, errb bytes.Buffer
	if code := run(ctx, args, strings.NewReader(""), &out, &errb); code != exitInterrupted {
		t.Errorf("exit %d, want %d\n%s", code, exitInterrupted, errb.String())
	}
	if after, err := os.ReadFile(prom); err != nil || !bytes.Equal(after, before) {
		t.Errorf("the textfile changed after an interrupted run (%v)", err)
	}
}

// TestPreflightNagiosWarning: a host with nothing failing but something
// to look at is WARNING, exit 1: a file without guests (a WARN of its
// own) on a registered host whose libvirt runs a domain the file does not
// list (libvirt's test:///default runs one, "test"), where the build has
// libvirt.
func TestPreflightNagiosWarning(t *testing.T) {
	dir := t.TempDir()
	cftool := filepath.Join(dir, "cftool")
	testenv.WriteExecutable(cftool, []byte("#!/bin/sh\necho 'Node    Number State       Os      Cpu'\necho 'cfhost1 1      UP          Linux   EM64T'\n"), 0o755)
	hostinfo := filepath.Join(dir, "hostinfo")
	if r := runCLI(t, "", "migratesetup", "-c", "-i", "192.0.2.1", "--cfname", "cfhost1", "--hostinfo", hostinfo); r.code != exitOK {
		t.Fatalf("registering: exit %d: %s", r.code, r.stderr)
	}
	conf := filepath.Join(dir, "kvmguests.conf")
	os.WriteFile(conf, nil, 0o600)
	store, err := libvirtstore.Open("test:///default")
	withLibvirt := err == nil
	if withLibvirt {
		store.Close()
	}
	r := runCLI(t, "", "preflight", "--nagios", "-f", conf, "--no-perm", "--hostinfo", hostinfo, "--cftool", cftool,
		"--sdtool", filepath.Join(dir, "sdtool"), "--connect", "test:///default", "--known-hosts", filepath.Join(dir, "known_hosts"))
	want := "SFKVM PREFLIGHT WARNING - 1 WARN: conf.syntax " + conf + " | ok=1;;;0 warn=1;0;;0 fail=0;;0;0 skip=10;;;0 duration="
	if withLibvirt {
		want = "SFKVM PREFLIGHT WARNING - 2 WARN: conf.syntax " + conf + "; host.unlisted test | ok=1;;;0 warn=2;0;;0 fail=0;;0;0 skip=8;;;0 duration="
	}
	if r.code != 1 || !strings.HasPrefix(r.stdout, want) || !strings.Contains(r.stdout, "\nWARN conf.syntax "+conf+": 0 guests") {
		t.Errorf("exit %d (libvirt: %v), stdout:\n%s\nwant a first line starting\n%s", r.code, withLibvirt, r.stdout, want)
	}
}
