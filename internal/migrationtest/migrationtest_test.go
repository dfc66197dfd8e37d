package migrationtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readCPIO parses a newc archive as the kernel does, returning the names
// in order with their modes and contents.
func readCPIO(t *testing.T, b []byte) (names []string, modes []uint32, data [][]byte) {
	t.Helper()
	off := 0
	field := func(i int) uint32 {
		v, err := strconv.ParseUint(string(b[off+6+8*i:off+14+8*i]), 16, 32)
		if err != nil {
			t.Fatalf("field %d at %d: %v", i, off, err)
		}
		return uint32(v)
	}
	for {
		if off%4 != 0 || string(b[off:off+6]) != "070701" {
			t.Fatalf("no newc header at %d", off)
		}
		mode, size, namesize := field(1), field(6), field(11)
		name := string(b[off+110 : off+110+int(namesize)-1])
		if b[off+110+int(namesize)-1] != 0 {
			t.Fatalf("%s: name not NUL-terminated", name)
		}
		off += 110 + int(namesize)
		off += pad4(off)
		if name == "TRAILER!!!" {
			if off != len(b) {
				t.Fatalf("%d bytes after the trailer", len(b)-off)
			}
			return
		}
		names = append(names, name)
		modes = append(modes, mode)
		data = append(data, b[off:off+int(size)])
		off += int(size)
		off += pad4(off)
	}
}

func TestCPIO(t *testing.T) {
	var buf bytes.Buffer
	c := NewCPIO(&buf)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.Dir("/dev", 0o755))
	must(c.File("init", 0o755, []byte("#!/bin/sh\n")))
	must(c.File("lib/a.ko", 0o644, []byte("abcde")))
	must(c.Close())
	names, modes, data := readCPIO(t, buf.Bytes())
	if strings.Join(names, ",") != "dev,init,lib/a.ko" {
		t.Errorf("names %q", names)
	}
	if modes[0] != ModeDir|0o755 || modes[1] != ModeFile|0o755 || modes[2] != ModeFile|0o644 {
		t.Errorf("modes %o", modes)
	}
	if string(data[1]) != "#!/bin/sh\n" || string(data[2]) != "abcde" {
		t.Errorf("data %q", data)
	}
	for _, bad := range []string{"", "/", "../x", "TRAILER!!!", "init"} {
		if err := NewCPIO(&buf).File(bad, 0, nil); err == nil && bad != "init" {
			t.Errorf("name %q accepted", bad)
		}
	}
	c = NewCPIO(&buf)
	must(c.File("x", 0o644, nil))
	if err := c.File("/x", 0o644, nil); err == nil {
		t.Error("a name twice accepted")
	}
}

func TestReport(t *testing.T) {
	r := Report{N: 42, Boot: "2f0c-11", Direct: "cfhostB", Held: "cfhostA", Plain: "closed"}
	line := r.String()
	if line != "SFKVM n=42 boot=2f0c-11 direct=cfhostB held=cfhostA plain=closed" {
		t.Errorf("String = %q", line)
	}
	if got, ok := ParseReport(line + "\r\n"); !ok || got != r {
		t.Errorf("ParseReport = %+v, %v", got, ok)
	}
	for _, bad := range []string{
		"", "[    0.1] virtio_blk", "SFKVM n=4", // cut by the migration
		"SFKVM n=x boot=a direct=b held=c plain=d",
		"SFKVM n=1 boot=a direct=b held=c plain=d extra=e",
		"SFKVM n=1 boot= direct=b held=c plain=d",
	} {
		if _, ok := ParseReport(bad); ok {
			t.Errorf("ParseReport(%q) ok", bad)
		}
	}
}

// fakeQEMU serves QMP on a unix socket: the greeting, then answers from
// answer, with an event before each answer.
func fakeQEMU(t *testing.T, answer func(cmd string) string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "qmp.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.Write([]byte(`{"QMP": {"version": {}, "capabilities": ["oob"]}}` + "\n"))
		sc := bufio.NewScanner(conn)
		for sc.Scan() {
			var req struct {
				Execute string `json:"execute"`
			}
			if json.Unmarshal(sc.Bytes(), &req) != nil {
				return
			}
			conn.Write([]byte(`{"event": "STOP", "timestamp": {}}` + "\n" + answer(req.Execute) + "\n"))
		}
	}()
	return path
}

func TestQMP(t *testing.T) {
	polls := 0
	path := fakeQEMU(t, func(cmd string) string {
		switch cmd {
		case "qmp_capabilities":
			return `{"return": {}}`
		case "query-migrate":
			polls++
			if polls < 3 {
				return `{"return": {"status": "active"}}`
			}
			return `{"return": {"status": "completed", "total-time": 812, "downtime": 35, "ram": {"transferred": 9000}}}`
		}
		return `{"error": {"class": "CommandNotFound", "desc": "The command ` + cmd + ` has not been found"}}`
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q, err := DialQMP(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	st, err := q.WaitMigration(ctx, time.Millisecond)
	if err != nil || st.Status != "completed" || st.TotalTime != 812 || st.Downtime != 35 || st.RAM.Transferred != 9000 || polls != 3 {
		t.Errorf("WaitMigration = %+v, %v after %d polls", st, err, polls)
	}
	_, err = q.Execute(ctx, "nonsense", map[string]any{"a": 1})
	var qe *QMPError
	if !errors.As(err, &qe) || qe.Class != "CommandNotFound" || !strings.Contains(err.Error(), "qmp nonsense: CommandNotFound") {
		t.Errorf("error answer: %v", err)
	}
}

func TestWaitMigrationFailed(t *testing.T) {
	path := fakeQEMU(t, func(cmd string) string {
		if cmd == "query-migrate" {
			return `{"return": {"status": "failed", "error-desc": "Unable to write to socket"}}`
		}
		return `{"return": {}}`
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q, err := DialQMP(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if _, err := q.WaitMigration(ctx, time.Millisecond); err == nil || !strings.Contains(err.Error(), "migration failed: Unable to write to socket") {
		t.Errorf("WaitMigration: %v", err)
	}
}

func TestDialQMPGivesUp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := DialQMP(ctx, filepath.Join(t.TempDir(), "absent.sock")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("DialQMP: %v", err)
	}
}
