package metrics_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/safefile"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/preflight/metrics"
)

// A symbolic link where the previous textfile should be is refused, not
// followed: whoever could put it there would choose the checksum that
// conf.changed compares with. The link points at a valid textfile, so a
// reader that follows it would return that file's checksum.
func TestReadPreviousRefusesASymlink(t *testing.T) {
	elsewhere, err := metrics.OpenTextfileDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer elsewhere.Close()
	fin := time.UnixMilli(1_800_000_000_123)
	if err := elsewhere.Write(preflight.Report{Started: fin.Add(-time.Second), Finished: fin, ConfSHA256: strings.Repeat("d", 64)}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(elsewhere.Path(), filepath.Join(dir, metrics.FileName)); err != nil {
		t.Fatal(err)
	}
	td, err := metrics.OpenTextfileDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer td.Close()
	p, err := td.ReadPrevious()
	if !errors.Is(err, safefile.ErrSymlink) || p != (metrics.Previous{}) {
		t.Errorf("ReadPrevious through a symlink = %+v, %v; want the zero Previous and ErrSymlink", p, err)
	}
}
