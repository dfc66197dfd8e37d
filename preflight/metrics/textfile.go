package metrics

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sfkvm/sfkvm/internal/safefile"
	"github.com/sfkvm/sfkvm/preflight"
)

// MaxTextfileSize bounds what ReadPrevious reads of an earlier textfile.
const MaxTextfileSize = 64 << 20

// TextfileDir is the textfile collector's folder, opened and checked:
// absolute, not a symbolic link, a folder, owned by root or the caller,
// and writable by nobody else (anyone who can write it could put a file
// of theirs in place of ours). Open it before the run, so that a wrong
// folder is told at once; write to it after.
type TextfileDir struct {
	d    *safefile.Dir
	path string
}

// OpenTextfileDir opens the folder at path. Its errors match the
// safefile rules with errors.Is (a symbolic link, another owner, a mode
// open to group or others, not a folder, a relative path) or
// fs.ErrNotExist.
func OpenTextfileDir(path string) (*TextfileDir, error) {
	d, err := safefile.OpenDir(path)
	if err != nil {
		return nil, err
	}
	return &TextfileDir{d: d, path: path}, nil
}

// Close releases the folder.
func (t *TextfileDir) Close() error { return t.d.Close() }

// Path is the textfile's path: the folder's path and FileName.
func (t *TextfileDir) Path() string { return filepath.Join(t.path, FileName) }

// beneath is the folder as a path that cannot be redirected: on Linux its
// descriptor's name in /proc, where /proc is mounted; else its path.
func (t *TextfileDir) beneath() string {
	if runtime.GOOS == "linux" {
		p := fmt.Sprintf("/proc/self/fd/%d", t.d.Fd())
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return p
		}
	}
	return t.path
}

// Write writes rep's metrics to the textfile with client_golang's
// prometheus.WriteToTextfile: a new file of a random name in the folder
// (created exclusively, so never through a link), mode 0644 (the
// collector runs as another user; nothing in it is secret), renamed over
// FileName (which replaces a link there rather than following it). The
// collector never reads a half-written file: the temporary name does not
// end in .prom.
func (t *TextfileDir) Write(rep preflight.Report) error {
	g, err := Gatherer(rep)
	if err != nil {
		return err
	}
	return t.WriteFile(FileName, g)
}

// WriteFile writes what g gathers to the file name in the folder, as
// Write does: for another writer of metrics that shares the folder's
// rules (sfkvm site writes sfkvm_site.prom beside this package's
// FileName). name is a file name, not a path, and ends in .prom (the
// collector reads nothing else).
func (t *TextfileDir) WriteFile(name string, g prometheus.Gatherer) error {
	if name == "" || strings.ContainsRune(name, '/') || !strings.HasSuffix(name, ".prom") || name == ".prom" {
		return fmt.Errorf("textfile name %q: want a file name ending in .prom", name)
	}
	dir := t.beneath()
	if err := prometheus.WriteToTextfile(filepath.Join(dir, name), g); err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Join(t.path, name), renamePaths(err, dir, t.path))
	}
	return nil
}

// renamePaths shows the folder's own path in err instead of its /proc
// name.
func renamePaths(err error, from, to string) error {
	if from == to {
		return err
	}
	fix := func(p string) string {
		if rest, ok := strings.CutPrefix(p, from); ok {
			return to + rest
		}
		return p
	}
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		pe.Path = fix(pe.Path)
	case errors.As(err, &le):
		le.Old, le.New = fix(le.Old), fix(le.New)
	}
	return err
}

// WriteTextfile opens the folder at dir, checks it and writes rep's
// metrics there (TextfileDir.Write).
func WriteTextfile(dir string, rep preflight.Report) error {
	t, err := OpenTextfileDir(dir)
	if err != nil {
		return err
	}
	defer t.Close()
	return t.Write(rep)
}

// Previous is what an earlier run left in the textfile.
type Previous struct {
	// ConfSHA256 is the checksum of kvmguests.conf then ("" when the file
	// could not be read): Config.PreviousConfSHA256.
	ConfSHA256 string
	// Finished is when that run ended (zero when unknown).
	Finished time.Time
}

// ReadPrevious reads the textfile that the last run wrote in the folder:
// no file there is the zero Previous and no error. Only a regular file is
// read (never a link, a FIFO or a device), at most MaxTextfileSize bytes,
// parsed with Prometheus' own text parser (prometheus/common/expfmt).
func (t *TextfileDir) ReadPrevious() (Previous, error) {
	f, err := safefile.OpenRegular(filepath.Join(t.beneath(), FileName), true)
	if errors.Is(err, fs.ErrNotExist) {
		return Previous{}, nil
	}
	if err != nil {
		return Previous{}, renamePaths(err, t.beneath(), t.path)
	}
	defer f.Close()
	prev, err := parsePrevious(io.LimitReader(f, MaxTextfileSize))
	if err != nil {
		return Previous{}, fmt.Errorf("reading %s: %w", t.Path(), err)
	}
	return prev, nil
}

func parsePrevious(r io.Reader) (Previous, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return Previous{}, err
	}
	var prev Previous
	if f := fams[ConfInfo]; f != nil && len(f.GetMetric()) == 1 {
		for _, l := range f.GetMetric()[0].GetLabel() {
			if l.GetName() == "sha256" {
				prev.ConfSHA256 = l.GetValue()
			}
		}
	}
	if f := fams[LastRunTimestamp]; f != nil && len(f.GetMetric()) == 1 {
		if g := f.GetMetric()[0].GetGauge(); g != nil {
			prev.Finished = time.UnixMilli(int64(g.GetValue() * 1e3))
		}
	}
	return prev, nil
}
