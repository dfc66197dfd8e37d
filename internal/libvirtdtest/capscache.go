package libvirtdtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/sfkvm/sfkvm/internal/testenv"
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
//
// Test processes share it too, through a folder of the user's in the
// temporary folder that test binaries share (sharedCaps): the suite runs
// a dozen test binaries that start daemons, and each asked QEMU again
// (2026-12-08: 13 probes a run, five of them at once in one binary's
// first seconds).
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

// learnCapsLocked keeps the complete capability files in dir, a daemon's
// cache (a file libvirt is still writing lacks its closing tag), that it
// did not know or that are newer than the ones it knew (a daemon asked
// QEMU again: the known file was stale, QEMU or libvirt changed since it
// was written), and passes them to the shared folder.
func learnCapsLocked(dir string) {
	for name, f := range readCaps(dir) {
		if old, ok := capsCache.files[name]; ok && (bytes.Equal(old.data, f.data) || !f.mod.After(old.mod)) {
			continue
		}
		capsCache.files[name] = f
		shareCaps(name, f)
	}
}

// readCaps reads the complete capability files in dir.
func readCaps(dir string) map[string]capsFile {
	files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	caps := map[string]capsFile{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		st, serr := os.Stat(f)
		if err != nil || serr != nil || !bytes.HasSuffix(bytes.TrimSpace(b), []byte("</qemuCaps>")) {
			continue
		}
		caps[filepath.Base(f)] = capsFile{b, st.ModTime()}
	}
	return caps
}

// sharedCapsPrefix names the shared folder, the user's id after it.
// scripts/migration-test.sh seeds its daemons from root's folder by this
// name (TestMigrationTestReadsSharedCaps).
const sharedCapsPrefix = "sfkvm-libvirtdtest-caps-"

// sharedCaps is the folder that test processes share the capability
// files through: the user's own, 0700 and no symbolic link, made when
// missing; "" (nothing shared) when another user's or open to others.
var sharedCaps = sync.OnceValue(func() string {
	return ownedDir(filepath.Join(testenv.SharedTempDir(), sharedCapsPrefix+strconv.Itoa(os.Getuid())))
})

func ownedDir(d string) string {
	os.Mkdir(d, 0o700)
	fi, err := os.Lstat(d)
	if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o077 != 0 {
		return ""
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Getuid() {
		return ""
	}
	return d
}

// shareCaps writes a capability file into the shared folder, by a rename:
// another process reads it whole or not at all.
func shareCaps(name string, f capsFile) {
	d := sharedCaps()
	if d == "" {
		return
	}
	tmp, err := os.CreateTemp(d, ".caps-*")
	if err != nil {
		return
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(f.data)
	if cerr := tmp.Close(); err != nil || cerr != nil {
		return
	}
	if os.Chtimes(tmp.Name(), f.mod, f.mod) == nil {
		os.Rename(tmp.Name(), filepath.Join(d, name))
	}
}

// seedCaps gives the daemon in dir, before it starts, the capability
// files known so far (from the shared folder, daemons stopped or still
// running), and records it as running.
func seedCaps(dir string) error {
	capsCache.Lock()
	defer capsCache.Unlock()
	if len(capsCache.files) == 0 && sharedCaps() != "" {
		capsCache.files = readCaps(sharedCaps())
	}
	for other := range capsCache.running {
		learnCapsLocked(capsDir(other))
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

// stoppedCaps learns the stopped daemon's capability files and forgets
// the daemon.
func stoppedCaps(dir string) {
	capsCache.Lock()
	defer capsCache.Unlock()
	learnCapsLocked(capsDir(dir))
	delete(capsCache.running, dir)
}
