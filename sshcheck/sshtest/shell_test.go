package sshtest

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestSplitCommand(t *testing.T) {
	for _, tc := range []struct {
		line string
		env  map[string]string
		args []string
		bad  bool
	}{
		{"true", map[string]string{}, []string{"true"}, false},
		{"LC_ALL=C sudo -n true", map[string]string{"LC_ALL": "C"}, []string{"sudo", "-n", "true"}, false},
		{"'A=b' c", map[string]string{}, []string{"A=b", "c"}, false},
		{`a 'it'\''s' "x\$y" ''`, map[string]string{}, []string{"a", "it's", "x$y", ""}, false},
		{"a\\ b", map[string]string{}, []string{"a b"}, false},
		{"'open", nil, nil, true},
		{`"open`, nil, nil, true},
		{"a | b", nil, nil, true},
		{"a\\", nil, nil, true},
	} {
		env, args, err := SplitCommand(tc.line)
		if (err != nil) != tc.bad {
			t.Errorf("%q: err %v", tc.line, err)
			continue
		}
		if tc.bad {
			continue
		}
		if !slices.Equal(args, tc.args) || len(env) != len(tc.env) {
			t.Errorf("%q = %v %q, want %v %q", tc.line, env, args, tc.env, tc.args)
		}
		for k, v := range tc.env {
			if env[k] != v {
				t.Errorf("%q: env[%s] = %q, want %q", tc.line, k, env[k], v)
			}
		}
	}
}

func FuzzSplitCommand(f *testing.F) {
	for _, s := range []string{"LC_ALL=C sudo -n -- x 'a b'", `"a\"b"`, "a\\\nb", "'", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		env, args, err := SplitCommand(line)
		if err == nil && env == nil {
			t.Fatal("nil env without error")
		}
		_ = args
	})
}

func TestSudoPolicies(t *testing.T) {
	s := &Server{cfg: Config{Handler: Builtin, Users: map[string]User{
		"a": {Sudo: SudoNoPassword}, "b": {Sudo: SudoPassword}, "c": {Sudo: SudoNotInSudoers},
		"d": {Sudo: SudoRequireTTY}, "e": {Sudo: SudoMissing},
	}}}
	for _, tc := range []struct {
		user, line string
		status     int
		stderr     string
	}{
		{"a", "LC_ALL=C sudo -n true", 0, ""},
		{"root", "sudo -n -- false", 1, ""},
		{"b", "LC_ALL=C sudo -n true", 1, MsgSudoPasswordRequired},
		{"c", "LC_ALL=C sudo -n true", 1, MsgSudoPasswordRequired},
		{"d", "LC_ALL=C sudo -n true", 1, MsgSudoRequireTTY},
		{"e", "sudo -n true", 127, "sh: 1: sudo: not found\n"},
		{"a", "nosuch", 127, "sh: 1: nosuch: not found\n"},
	} {
		r := s.exec(tc.user, tc.line, nil)
		if r.ExitStatus != tc.status || r.Stderr != tc.stderr {
			t.Errorf("%s: %q = %d %q, want %d %q", tc.user, tc.line, r.ExitStatus, r.Stderr, tc.status, tc.stderr)
		}
	}
}

func TestKnownHostsLine(t *testing.T) {
	s, err := Start(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	key := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.HostKeys()[0])))
	for in, want := range map[string]string{"192.0.2.10:22": "192.0.2.10 ", "192.0.2.10:2222": "[192.0.2.10]:2222 ", "192.0.2.10": "192.0.2.10 "} {
		if got := s.KnownHostsLine(in); got != want+key {
			t.Errorf("KnownHostsLine(%q) = %q, want %q", in, got, want+key)
		}
	}
}
