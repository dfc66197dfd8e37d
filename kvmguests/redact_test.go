package kvmguests

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

const printFingerprintEnv = "SFKVM_TEST_PRINT_FINGERPRINT"

// TestMain lets TestFingerprintDiffersBetweenRuns run this binary as a
// second and third process that print a fingerprint.
func TestMain(m *testing.M) {
	if os.Getenv(printFingerprintEnv) == "1" {
		fmt.Print(RedactLine("hunter2"))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestFingerprintIsKeyed: the fingerprint of a plain-text password typed by
// mistake is not its unkeyed SHA-256 (which a dictionary reverses at once),
// and equal values show equal fingerprints within a run.
func TestFingerprintIsKeyed(t *testing.T) {
	sum := sha256.Sum256([]byte("hunter2"))
	unkeyed := hex.EncodeToString(sum[:4]) // f52fbd32
	got := RedactLine("hunter2")
	if !fingerprintRE.MatchString(got) || strings.Contains(got, unkeyed) {
		t.Errorf("RedactLine(hunter2) = %q: want <token hmac:...>, not the unkeyed %s", got, unkeyed)
	}
	if again := RedactLine("hunter2"); again != got {
		t.Errorf("the same value in one run: %q then %q", got, again)
	}
	if other := RedactLine("hunter3"); other == got {
		t.Errorf("two values, one fingerprint: %q", other)
	}
}

// TestFingerprintDiffersBetweenRuns: the key is random, made once per
// process: two runs show the same value under different fingerprints.
func TestFingerprintDiffersBetweenRuns(t *testing.T) {
	run := func() string {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), printFingerprintEnv+"=1")
		out, err := cmd.Output()
		if err != nil || !fingerprintRE.Match(out) {
			t.Fatalf("child: %v, output %q", err, out)
		}
		return string(out)
	}
	if a, b := run(), run(); a == b {
		t.Errorf("two runs, one fingerprint for hunter2: %s", a)
	}
}

// TestTokenShowsNoLength: a token prints the same whatever its length, in
// every form (a plain-text password typed by mistake must not give away its
// length either).
func TestTokenShowsNoLength(t *testing.T) {
	forms := func(tok Token) string {
		g := Guest{Password: tok}
		b, err := json.Marshal(struct{ T Token }{tok})
		if err != nil {
			t.Fatal(err)
		}
		var logged bytes.Buffer
		noTime := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}
		slog.New(slog.NewTextHandler(&logged, noTime)).Info("guest", "password", tok, "guest", g)
		slog.New(slog.NewJSONHandler(&logged, noTime)).Info("guest", "password", tok)
		return strings.Join([]string{tok.String(), g.String(), string(b), logged.String(),
			fmt.Sprintf("%v %+v %#v %s %q %x %d", tok, tok, tok, tok, tok, tok, tok)}, "|")
	}
	want := forms("D0860AB04E1B8FA3")
	for _, tok := range []Token{"hunter2", "MyPassw0rd", "D0860AB04E1B8FA3D0860AB04E1B8FA3"} {
		if got := forms(tok); got != want {
			t.Errorf("a token of %d characters prints differently from one of 16:\n%s\n%s", len(tok), got, want)
		}
	}
	if strings.Contains(want, "16") || strings.Contains(want, "D0860AB0") {
		t.Errorf("a token shows its length or value: %s", want)
	}
}

var fingerprintRE = regexp.MustCompile(`^<token hmac:[0-9a-f]{8}>$`)

// TestDiagnosticsShowNoPasswordLength: what a check says about guest_passwd
// is the same whatever the value's length (it may be a plain-text password,
// even one of hex digits).
func TestDiagnosticsShowNoPasswordLength(t *testing.T) {
	for _, group := range [][]string{
		{"12345", "1234567", "123456789"},                     // odd number of hex digits
		{"cafe1234", "cafe123456", "cafe12345678"},            // lowercase, not whole blocks
		{"ABCDEF12", "ABCDEF1234", "ABCDEF123456"},            // uppercase, not whole blocks
		{"hunter2", "MyPassw0rd", "correct-horse-battery-st"}, // not hex
	} {
		var first string
		for _, pw := range group {
			_, diags := ParseBytes([]byte("g1 h1 c1 n1 10.0.0.1 root "+pw+"\n"), "f", Options{})
			got := fmt.Sprint(diags)
			if len(diags) == 0 {
				t.Errorf("%q: no diagnostic", pw)
			}
			if first == "" {
				first = got
			} else if got != first {
				t.Errorf("a value of %d characters is reported differently:\n%s\nfrom one of %d:\n%s", len(pw), got, len(group[0]), first)
			}
		}
	}
}
