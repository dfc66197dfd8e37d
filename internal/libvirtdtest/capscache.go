package libvirtdtest

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// A new daemon asks QEMU what it can do (QEMU started with -machine none
// and queried over QMP) the first time a test defines or starts a guest,
// and keeps the answer in its cache folder: about 2 s and a QEMU process
// per daemon (2026-12-08: a define took 1.8 to 2.0 s on a new daemon,
// 56 ms with the answer already in its cache), and the suite starts some
// fifty daemons. The daemons of one test process share the answer: each
// new daemon's cache gets the files that an earlier one wrote, with
// their times. libvirt checks such a file against the QEMU binary and
// itself (their versions and times) before it uses it, and asks QEMU
// again when they changed, so a stale file costs a probe, never a wrong
// answer.
var capsCache = struct {
	sync.Mutex
	files   map[string]capsFile // by file name
	running map[string]bool     // the Dir of every running daemon
}{files: map[string]capsFile{}, running: map[string]bool{}}

type capsFile struct {
	data []byte
	mod  time.Time
}

// capsDir is where libvirt keeps QEMU's capabilities under a daemon's Dir.
func capsDir(dir string) string {
	return filepath.Join(dir, "cache/libvirt/qemu/cache/capabilities")
}

// learnCapsLocked keeps the complete capability files of the daemon in
// dir (a file libvirt is still writing lacks its closing tag).
func learnCapsLocked(dir string) {
	files, _ := filepath.Glob(filepath.Join(capsDir(dir), "*.xml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		st, serr := os.Stat(f)
		if err != nil || serr != nil || !bytes.HasSuffix(bytes.TrimSpace(b), []byte("</qemuCaps>")) {
			continue
		}
		capsCache.files[filepath.Base(f)] = capsFile{b, st.ModTime()}
	}
}

// seedCaps gives the daemon in dir, before it starts, the capability
// files known so far (from daemons stopped or still running), and
// records it as running.
func seedCaps(dir string) error {
	capsCache.Lock()
	defer capsCache.Unlock()
	if len(capsCache.files) == 0 {
		for other := range capsCache.running {
			learnCapsLocked(other)
		}
	}
	capsCache.running[dir] = true
	if len(capsCache.files) == 0 {
		return nil
	}
	if err := os.MkdirAll(capsDir(dir), 0o700); err != nil {
		return err
	}
	for name, f := range capsCache.files {
		p := filepath.Join(capsDir(dir), name)
		if err := os.WriteFile(p, f.data, 0o600); err != nil {
			return err
		}
		if err := os.Chtimes(p, f.mod, f.mod); err != nil {
			return err
		}
	}
	return nil
}

// stoppedCaps learns the stopped daemon's capability files (when none
// are known yet) and forgets the daemon.
func stoppedCaps(dir string) {
	capsCache.Lock()
	defer capsCache.Unlock()
	if len(capsCache.files) == 0 {
		learnCapsLocked(dir)
	}
	delete(capsCache.running, dir)
}
