package kvmguests

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
)

// TestManyChunks reads an input of several chunks, so that lines are
// numbered across chunks, a line is cut by a read, and repeats are found
// across chunks: the first guest again near the end, a bad line in the
// third chunk.
func TestManyChunks(t *testing.T) {
	var b bytes.Buffer
	n := 0
	for b.Len() < 3*chunkSize+chunkSize/2 {
		n++
		fmt.Fprintf(&b, "guest%06d cfhost%d cluster%05d cfguest%06d 10.%d.%d.%d user1 D0860AB04E1B8FA3\n",
			n, n%2+1, n/2, n, n>>16&255, n>>8&255, n&255)
	}
	badLine := n/2 + 7 // in the third chunk or so
	lines := bytes.SplitAfter(b.Bytes(), []byte("\n"))
	lines[badLine-1] = []byte("guest-bad cfhost1  cluster-bad x 10.255.0.1 user1 D0860AB04E1B8FA3\n")
	lines = append(lines, []byte("guest000001 cfhost9 clusterZ nodeZ 10.254.0.1 user1 D0860AB04E1B8FA3\n"))
	in := bytes.Join(lines, nil)
	last := bytes.Count(in, []byte("\n"))

	cfg, diags := ParseBytes(in, "f", Options{})
	checked, err := Check(bytes.NewReader(in), "f", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(checked) != len(diags) {
		t.Fatalf("Check found %d problems, Parse %d", len(checked), len(diags))
	}
	var got []string
	for _, d := range diags {
		got = append(got, fmt.Sprintf("%d:%d %s", d.Line, d.Column, d.Code))
	}
	want := []string{
		fmt.Sprintf("%d:19 %s", badLine, ErrDoubleSpace),
		fmt.Sprintf("%d:1 %s", last, ErrDupGuestName),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("diagnostics %v, want %v", got, want)
	}
	if !bytes.Contains([]byte(diags[len(diags)-1].Message), []byte("also on line 1")) {
		t.Errorf("the repeat does not name line 1: %s", diags[len(diags)-1])
	}
	if len(cfg.Lines) != last || cfg.Lines[last-1].Guest.Line != last {
		t.Errorf("%d lines read, the last numbered %d; want %d", len(cfg.Lines), cfg.Lines[len(cfg.Lines)-1].Guest.Line, last)
	}
	checkDuplicatesAgainstMaps(t, cfg, diags)
}

// TestTooLarge: input past MaxSize is refused, not read without end.
func TestTooLarge(t *testing.T) {
	_, err := Check(io.LimitReader(zeros{}, MaxSize+chunkSize), "/dev/zero", Options{})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
