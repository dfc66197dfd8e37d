package kvmguests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func logLine(g Guest) string {
	var b bytes.Buffer
	slog.New(slog.NewTextHandler(&b, nil)).Info("guest", "password", g.Password, "guest", g)
	slog.New(slog.NewJSONHandler(&b, nil)).Info("guest", "password", g.Password)
	return b.String()
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
