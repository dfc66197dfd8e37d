package kvmguests

import (
	"bytes"
	"os"
	"testing"
)

// benchFile reads the file that bench/check.sh generates, when
// SFKVM_BENCH_FILE names it, and sets up b for it.
func benchFile(b *testing.B) []byte {
	path := os.Getenv("SFKVM_BENCH_FILE")
	if path == "" {
		b.Skip("set SFKVM_BENCH_FILE to a large kvmguests.conf (bench/check.sh makes one)")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	return data
}

func BenchmarkParse100k(b *testing.B) {
	data := benchFile(b)
	for b.Loop() {
		ParseBytes(data, "f", Options{})
	}
}

func BenchmarkCheck100k(b *testing.B) {
	data := benchFile(b)
	for b.Loop() {
		Check(bytes.NewReader(data), "f", Options{})
	}
}
