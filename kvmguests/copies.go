package kvmguests

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/sfkvm/sfkvm/internal/safefile"
)

// ReadCopy reads the file at path as a Copy named path. Like ReadFile with
// SkipFileChecks it reads only a regular file (a FIFO, a device or a folder
// is refused with ErrNotRegular, without blocking) of at most MaxSize bytes
// (ErrTooLarge); it does not check the owner or the mode.
func ReadCopy(path string) (Copy, error) {
	f, size, err := openCopy(path)
	if err != nil {
		return Copy{}, err
	}
	defer f.Close()
	// One more byte than allowed tells a file that grew past MaxSize since
	// the fstat from one that did not.
	data := make([]byte, 0, size+1)
	data, err = readAll(io.LimitReader(f, MaxSize+1), data)
	if err != nil {
		return Copy{}, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > MaxSize {
		return Copy{}, fmt.Errorf("reading %s: %w", path, ErrTooLarge)
	}
	return Copy{Name: path, Data: data}, nil
}

// CompareFiles compares the files at a and b (read as ReadCopy reads them).
// Identical files are compared as streams, without holding either in
// memory; only files that differ are read whole, to be diffed.
func CompareFiles(a, b string) (Comparison, error) {
	same, err := sameContents(a, b)
	if err != nil {
		return Comparison{}, err
	}
	if same {
		return Comparison{A: a, B: b, Identical: true}, nil
	}
	ca, err := ReadCopy(a)
	if err != nil {
		return Comparison{}, err
	}
	cb, err := ReadCopy(b)
	if err != nil {
		return Comparison{}, err
	}
	return Compare(ca, cb), nil
}

// openCopy opens a regular file of at most MaxSize bytes and returns its
// size.
func openCopy(path string) (*os.File, int64, error) {
	f, err := safefile.OpenRegular(path, false)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("reading %s: %w", path, err)
	}
	if fi.Size() > MaxSize {
		f.Close()
		return nil, 0, fmt.Errorf("reading %s: %w", path, ErrTooLarge)
	}
	return f, fi.Size(), nil
}

// sameContents reads both files side by side, a block at a time.
func sameContents(a, b string) (bool, error) {
	fa, sizeA, err := openCopy(a)
	if err != nil {
		return false, err
	}
	defer fa.Close()
	fb, sizeB, err := openCopy(b)
	if err != nil {
		return false, err
	}
	defer fb.Close()
	if sizeA != sizeB {
		return false, nil
	}
	ra, rb := io.LimitReader(fa, MaxSize+1), io.LimitReader(fb, MaxSize+1)
	bufA, bufB := make([]byte, 64<<10), make([]byte, 64<<10)
	total := 0
	for {
		na, errA := io.ReadFull(ra, bufA)
		nb, errB := io.ReadFull(rb, bufB)
		if !bytes.Equal(bufA[:na], bufB[:nb]) {
			return false, nil
		}
		if total += na; total > MaxSize { // both grew since the fstat
			return false, fmt.Errorf("reading %s: %w", a, ErrTooLarge)
		}
		endA, endB := isEnd(errA), isEnd(errB)
		switch {
		case errA != nil && !endA:
			return false, fmt.Errorf("reading %s: %w", a, errA)
		case errB != nil && !endB:
			return false, fmt.Errorf("reading %s: %w", b, errB)
		case endA || endB:
			return endA && endB, nil
		}
	}
}

func isEnd(err error) bool { return err == io.EOF || err == io.ErrUnexpectedEOF }

// readAll is io.ReadAll into buf, which holds the expected size, so that a
// file costs one allocation of its size.
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
