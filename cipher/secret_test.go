package cipher_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/sshcheck"
)

func TestSecretRedactsItself(t *testing.T) {
	const pw = "hunter2-Sup3r"
	s := cipher.SecretFromString(pw)
	type holder struct {
		User     string
		Password cipher.Secret
		hidden   cipher.Secret
		ptr      *cipher.Secret
	}
	h := holder{User: "root", Password: s, hidden: s, ptr: &s}
	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%T"} {
		outputs = append(outputs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, &s), fmt.Sprintf(verb, h), fmt.Sprintf(verb, &h), fmt.Sprintf(verb, []cipher.Secret{s}))
	}
	outputs = append(outputs, fmt.Sprint(s), fmt.Sprintln(s), s.String())
	j, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(j))
	var logged bytes.Buffer
	for _, handler := range []slog.Handler{slog.NewTextHandler(&logged, nil), slog.NewJSONHandler(&logged, nil)} {
		l := slog.New(handler)
		l.Info("login", "password", s, "holder", h, slog.Any("ptr", &s))
	}
	outputs = append(outputs, logged.String())

	forbidden := []string{pw, fmt.Sprintf("%x", pw), fmt.Sprintf("%X", pw), fmt.Sprint([]byte(pw))}
	for _, out := range outputs {
		for _, f := range forbidden {
			if strings.Contains(out, f) {
				t.Errorf("output shows the secret: %s", out)
			}
		}
	}
	for _, want := range []string{`"Password":"[REDACTED]"`} {
		if !strings.Contains(string(j), want) {
			t.Errorf("JSON %s does not hold %s", j, want)
		}
	}
	if got := fmt.Sprintf("%v|%q|%#v", s, s, s); got != `[REDACTED]|"[REDACTED]"|cipher.Secret([REDACTED])` {
		t.Errorf("formats: %s", got)
	}
	if !strings.Contains(logged.String(), "password=[REDACTED]") || !strings.Contains(logged.String(), `"password":"[REDACTED]"`) {
		t.Errorf("slog output %q lacks the redacted password", logged.String())
	}
}

func TestSecretWipe(t *testing.T) {
	buf := []byte("hunter2")
	s := cipher.NewSecret(buf)
	cp := s // copies share the bytes
	if !s.Equal(cipher.SecretFromString("hunter2")) || s.Equal(cipher.SecretFromString("hunter3")) || s.Len() != 7 {
		t.Fatal("Equal or Len is wrong")
	}
	cp.Wipe()
	if !bytes.Equal(buf, make([]byte, 7)) {
		t.Errorf("the buffer is not zeroed: %q", buf)
	}
	if s.Bytes() != nil || s.Len() != 0 {
		t.Errorf("after Wipe the secret still holds %d bytes", s.Len())
	}
	s.Wipe()               // twice is fine
	cipher.Secret{}.Wipe() // the zero Secret too
}

// A Secret is sshcheck's password source as it is: the method gives a copy
// (wiping it leaves the Secret whole), and a wiped Secret gives an error.
func TestSecretIsAPasswordSource(t *testing.T) {
	var src sshcheck.PasswordSource = cipher.SecretFromString("hunter2")
	s := src.(cipher.Secret)
	got, err := src.Password(context.Background())
	if err != nil || string(got) != "hunter2" {
		t.Fatalf("Password = %q, %v", got, err)
	}
	clear(got)
	if string(s.Bytes()) != "hunter2" {
		t.Error("wiping the copy wiped the Secret")
	}
	s.Wipe()
	if got, err := src.Password(context.Background()); !errors.Is(err, cipher.ErrSecretWiped) || got != nil {
		t.Errorf("after Wipe: %q, %v; want ErrSecretWiped", got, err)
	}
}
