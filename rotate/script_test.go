package rotate

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/internal/testenv"
)

// wrap puts a program of the same name first on PATH (in bin) that logs
// one line to $WRAPLOG, "NAME ARGS", then runs the real one. For dd it also
// logs the mode and size of its of= file before dd touches it: the mode
// the temporary file has from its first byte.
func wrap(t *testing.T, bin, name string) {
	t.Helper()
	real, err := exec.LookPath(name)
	if err != nil {
		t.Fatal(err)
	}
	pre := ""
	if name == "dd" {
		pre = `for a; do case $a in of=*) printf '%s\n' "first $(stat -c '%a %s' -- "${a#of=}")" >> "$WRAPLOG";; esac; done` + "\n"
	}
	script := "#!/bin/sh\n" + pre + `printf '%s\n' "` + name + ` $*" >> "$WRAPLOG"` + "\nexec " + real + ` "$@"` + "\n"
	if err := testenv.WriteExecutable(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// The other hosts' copies are replaced by replaceScript over SSH; here it
// runs locally, as root (it gives the file to root:root), under sh -c with
// the same arguments writeHost passes ($1 the file, $2 the SHA-256 of
// stdin), with wrappers for dd, mv and sync that record the calls. A
// durable and private replace: the temporary file is already 0600 and
// empty when dd opens it (not widened for the write and narrowed after), dd
// writes it with conv=fsync (its data on disk before it can be renamed
// into place), mv renames it over the file, and then the folder is synced
// (the rename on disk). The caller's umask is 022, so that 0600 is the
// script's doing.
//
// The test assumes replaceScript is a string constant holding a POSIX sh
// script that takes the file as $1, the hex SHA-256 of stdin as $2, the
// run holding the lock as $3 and the SHA-256 of the file it replaces next,
// writes with dd of=TEMPFILE, puts it in place with mv, syncs the folder
// with `sync -- FOLDER` (FOLDER as dirname gives it), and prints the new
// file's SHA-256; and GNU stat (stat -c) on the machine.
func TestReplaceScriptSyncsAndIsPrivate(t *testing.T) {
	testenv.Root(t, "the script gives the new file to root:root")
	bin, logs, dir := t.TempDir(), t.TempDir(), t.TempDir()
	log := filepath.Join(logs, "calls")
	for _, name := range []string{"dd", "mv", "sync"} {
		wrap(t, bin, name)
	}
	file := filepath.Join(dir, "kvmguests.conf")
	if err := os.WriteFile(file, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := []byte("the new copy\n")
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])

	o := lockFor(t, file) // the script writes only under the run's lock
	cmd := exec.Command("sh", "-c", "umask 022\n"+replaceScript, "sh", file, hash, o.Run, hashOf([]byte("old\n")))
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "WRAPLOG="+log)
	cmd.Stdin = bytes.NewReader(data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("replaceScript: %v: %s", err, stderr.Bytes())
	}
	if got := strings.TrimSpace(string(out)); got != hash {
		t.Errorf("printed %q, want the new file's SHA-256 %s", got, hash)
	}
	if got, err := os.ReadFile(file); err != nil || !bytes.Equal(got, data) {
		t.Errorf("the file holds %q (%v), want %q", got, err, data)
	}

	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	calls := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	at := func(prefix string) int {
		return slices.IndexFunc(calls, func(c string) bool { return strings.HasPrefix(c, prefix) })
	}
	first, dd, mv, sync := at("first "), at("dd "), at("mv "), at("sync -- "+dir)
	if dd < 0 || !slices.ContainsFunc(strings.Fields(calls[dd]), fsyncs) {
		t.Errorf("no dd with conv=fsync: %q", calls)
	}
	if first < 0 || calls[first] != "first 600 0" {
		t.Errorf("the temporary file when dd opened it: %q, want \"first 600 0\" (mode 0600 and empty)", calls)
	}
	if mv < 0 || mv < dd {
		t.Errorf("no mv after dd: %q", calls)
	}
	if sync < 0 || sync < mv {
		t.Errorf("the folder %s not synced after mv: %q", dir, calls)
	}
}

// fsyncs reports whether a dd argument asks for fsync before dd exits.
func fsyncs(arg string) bool {
	v, ok := strings.CutPrefix(arg, "conv=")
	return ok && slices.Contains(strings.Split(v, ","), "fsync")
}
