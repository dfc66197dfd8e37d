package enroll

import (
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/internal/testenv"
	"golang.org/x/crypto/ssh"
)

func testKey(t *testing.T) ssh.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// One round records many keys, each answered on its own: added, then
// known; a dry run says would; another key for a recorded address is
// refused for that address only, the others still recorded.
func TestRunTrustAllOneRound(t *testing.T) {
	testenv.LookPath(t, "ssh-keygen", "openssh-client")
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), ".ssh", "known_hosts")
	a, b, c := trustEntry{"10.0.0.2:22", testKey(t)}, trustEntry{"10.0.0.3:2222", testKey(t)}, trustEntry{"10.0.0.4:22", testKey(t)}
	calls := 0
	run := func(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, []byte, int, error) {
		calls++
		return localRun(ctx, stdin, name, args...)
	}
	w, errs, err := runTrustAll(ctx, run, file, []trustEntry{a, b}, true)
	if err != nil || strings.Join(w, ",") != "would,would" || errs[0] != nil || errs[1] != nil {
		t.Fatalf("dry run: %v %v %v", w, errs, err)
	}
	if _, err := os.Stat(file); err == nil {
		t.Error("the dry run made the file")
	}
	w, errs, err = runTrustAll(ctx, run, file, []trustEntry{a, b}, false)
	if err != nil || strings.Join(w, ",") != "added,added" || errs[0] != nil || errs[1] != nil {
		t.Fatalf("first: %v %v %v", w, errs, err)
	}
	changed := trustEntry{b.hostport, testKey(t)}
	w, errs, err = runTrustAll(ctx, run, file, []trustEntry{a, changed, c}, false)
	if err != nil || w[0] != "known" || !errors.Is(errs[1], ErrKeyChanged) || w[2] != "added" || errs[2] != nil {
		t.Fatalf("second: %v %v %v", w, errs, err)
	}
	if calls != 3 {
		t.Errorf("%d commands for 3 rounds", calls)
	}
	data, _ := os.ReadFile(file)
	if n := strings.Count(string(data), "\n"); n != 3 {
		t.Errorf("%d lines in known_hosts, want 3:\n%s", n, data)
	}
	for _, e := range []trustEntry{a, b, c} {
		if !strings.Contains(string(data), keyBlob(e.key)) {
			t.Errorf("the key of %s is not recorded", e.hostport)
		}
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("known_hosts: %v %v", fi, err)
	}
}
