package cipher_test

import (
	"context"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/cipher/sfciphertest"
)

func BenchmarkSeal(b *testing.B) {
	k := mustKey(b)
	s := cipher.SecretFromString("Passw0rd")
	for b.Loop() {
		if _, err := k.Seal(s, guest11); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	k := mustKey(b)
	tok, _ := k.Seal(cipher.SecretFromString("Passw0rd"), guest11)
	for b.Loop() {
		s, err := k.Open(tok, guest11)
		if err != nil {
			b.Fatal(err)
		}
		s.Wipe()
	}
}

// The three benchmarks below measure what driving the vendor tool costs.
// BenchmarkFakeExec: the fake started and ended without a terminal (it
// prints a token at once): the cost of running the program at all.
// BenchmarkFakeOnPTY: the fake's own run on a pseudo-terminal with both
// answers typed ahead, no conversation. BenchmarkSfcipherEncrypt: the same
// run through Sfcipher.Encrypt (policy, waiting for each prompt and for
// echo off, typing, parsing). Encrypt minus FakeOnPTY is what the driving
// adds.

func BenchmarkFakeExec(b *testing.B) {
	fake := sfciphertest.Install(b, b.TempDir(), sfciphertest.NoPrompt, "TestSfcipherHelper")
	for b.Loop() {
		if out, err := exec.Command(fake, "-c").Output(); err != nil || len(out) == 0 {
			b.Fatal(err)
		}
	}
}

func BenchmarkFakeOnPTY(b *testing.B) {
	fake := sfciphertest.Install(b, b.TempDir(), sfciphertest.OK, "TestSfcipherHelper")
	for b.Loop() {
		if _, status := runFakeOnPTY(b, fake, nil, "Passw0rd\r", "Passw0rd\r"); status != 0 {
			b.Fatalf("exit status %d", status)
		}
	}
}

func BenchmarkSfcipherEncrypt(b *testing.B) {
	s := &cipher.Sfcipher{Path: sfciphertest.Install(b, b.TempDir(), sfciphertest.OK, "TestSfcipherHelper")}
	for b.Loop() {
		if _, err := s.Encrypt(context.Background(), []byte("Passw0rd")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSfcipherOverhead alternates the fake's own run on a terminal
// (answers typed ahead) with the same run through Sfcipher.Encrypt, so that
// both see the same load, and reports the medians and the median of the
// per-pair difference: what driving the tool adds. Run it with a fixed
// count, e.g. -benchtime 200x.
func BenchmarkSfcipherOverhead(b *testing.B) {
	fake := sfciphertest.Install(b, b.TempDir(), sfciphertest.OK, "TestSfcipherHelper")
	s := &cipher.Sfcipher{Path: fake}
	var direct, driven, added []float64
	for b.Loop() {
		t0 := time.Now()
		if _, status := runFakeOnPTY(b, fake, nil, "Passw0rd\r", "Passw0rd\r"); status != 0 {
			b.Fatalf("exit status %d", status)
		}
		t1 := time.Now()
		if _, err := s.Encrypt(context.Background(), []byte("Passw0rd")); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		d, e := t1.Sub(t0).Seconds()*1e3, t2.Sub(t1).Seconds()*1e3
		direct, driven, added = append(direct, d), append(driven, e), append(added, e-d)
	}
	b.ReportMetric(median(direct), "ms-fake-alone")
	b.ReportMetric(median(driven), "ms-via-Encrypt")
	b.ReportMetric(median(added), "ms-added")
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
