package sdtest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	stateFile = ".sdtest-state.json"
	pidsFile  = "hang.pids"
	hangChild = "--sdtest-hang-child"
)

// Program is a fake sdtool and cftool installed in a temporary folder.
type Program struct {
	Dir    string // the folder: the links and the state
	SDTool string // path of the fake sdtool
	CFTool string // path of the fake cftool
}

// Install makes a fake sdtool and cftool for cfg in a new temporary folder
// of t: links named sdtool and cftool to the running test binary, beside
// the simulation's state. The test binary must call [RunIfInstalled] first
// thing (from an init function or TestMain), so that when started through
// a link it acts as the tool instead of running the tests.
func Install(t testing.TB, cfg Config) *Program {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("sdtest: the test binary's path: %v", err)
	}
	dir := t.TempDir()
	p := &Program{Dir: dir, SDTool: filepath.Join(dir, "sdtool"), CFTool: filepath.Join(dir, "cftool")}
	for _, link := range []string{p.SDTool, p.CFTool} {
		if err := os.Symlink(exe, link); err != nil {
			t.Fatalf("sdtest: %v", err)
		}
	}
	if err := saveState(filepath.Join(dir, stateFile), newState(cfg)); err != nil {
		t.Fatalf("sdtest: %v", err)
	}
	return p
}

// Calls returns every command the program received, such as "sdtool -s".
func (p *Program) Calls(t testing.TB) []string {
	t.Helper()
	st, err := loadState(filepath.Join(p.Dir, stateFile))
	if err != nil {
		t.Fatalf("sdtest: %v", err)
	}
	return st.Calls
}

// Hanging reports whether a hanging sdtool -b has started its child and
// written both pids (see HangPIDs), so that a test can end it then.
func (p *Program) Hanging() bool {
	data, err := os.ReadFile(filepath.Join(p.Dir, pidsFile))
	return err == nil && len(strings.Fields(string(data))) == 2
}

// HangPIDs returns the process ids that a hanging sdtool -b wrote: its own
// and that of a child it started in its process group, so that a test can
// check that both were killed.
func (p *Program) HangPIDs(t testing.TB) []int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(p.Dir, pidsFile))
	if err != nil {
		t.Fatalf("sdtest: %v", err)
	}
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("sdtest: %s: %v", pidsFile, err)
		}
		pids = append(pids, pid)
	}
	return pids
}

// RunIfInstalled makes the test binary act as the fake tool when it was
// started through a link made by [Install] (its name is sdtool or cftool
// and the state file lies beside it), and exits. Otherwise it returns at
// once and the tests run.
func RunIfInstalled() {
	base := filepath.Base(os.Args[0])
	if base != "sdtool" && base != "cftool" {
		return
	}
	statePath := filepath.Join(filepath.Dir(os.Args[0]), stateFile)
	if _, err := os.Stat(statePath); err != nil {
		return
	}
	os.Exit(programMain(statePath, os.Args[0], os.Args[1:]))
}

func programMain(statePath, name string, args []string) int {
	if len(args) == 1 && args[0] == hangChild {
		sleepForever()
	}
	st, err := loadState(statePath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "sdtest: %v\n", err)
		return 125
	}
	o := st.call(name, args)
	if err := saveState(statePath, st); err != nil {
		fmt.Fprintf(os.Stderr, "sdtest: %v\n", err)
		return 125
	}
	if o.hang {
		hang(name, filepath.Dir(statePath))
	}
	if o.missing {
		fmt.Fprintf(os.Stderr, "%s: not found\n", name)
		return 127
	}
	os.Stdout.WriteString(o.stdout)
	os.Stderr.WriteString(o.stderr)
	return o.code
}

// hang starts a child in this process group that keeps stdout open, writes
// both pids, and never returns: only a kill of the whole group ends both.
func hang(name, dir string) {
	child := exec.Command(name, hangChild)
	child.Stdout, child.Stderr = os.Stdout, os.Stderr
	pids := strconv.Itoa(os.Getpid())
	if err := child.Start(); err == nil {
		pids += " " + strconv.Itoa(child.Process.Pid)
	}
	tmp := filepath.Join(dir, pidsFile+".tmp")
	if os.WriteFile(tmp, []byte(pids+"\n"), 0o600) == nil {
		os.Rename(tmp, filepath.Join(dir, pidsFile))
	}
	sleepForever()
}

func sleepForever() {
	for {
		time.Sleep(time.Hour)
	}
}

func loadState(path string) (*state, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &st, nil
}

// saveState replaces the state file atomically.
func saveState(path string, st *state) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
