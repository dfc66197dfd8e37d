package migrationtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"
)

// QMP is a connection to one QEMU's machine protocol socket (-qmp
// unix:PATH,server=on,wait=off), past the greeting and capabilities
// negotiation. Commands run one at a time; events are skipped.
type QMP struct {
	conn net.Conn
	r    *bufio.Reader
}

// QMPError is an error that QEMU answered to a command.
type QMPError struct {
	Command string
	Class   string `json:"class"`
	Desc    string `json:"desc"`
}

func (e *QMPError) Error() string {
	return fmt.Sprintf("qmp %s: %s: %s", e.Command, e.Class, e.Desc)
}

// DialQMP connects to the socket at path, retrying until ctx ends (QEMU
// makes the socket a little after it starts), and negotiates capabilities.
func DialQMP(ctx context.Context, path string) (*QMP, error) {
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "unix", path)
		if err == nil {
			q := &QMP{conn: conn, r: bufio.NewReader(conn)}
			if err := q.handshake(ctx); err != nil {
				conn.Close()
				return nil, err
			}
			return q, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("connecting to QMP at %s: %w (last: %v)", path, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (q *QMP) handshake(ctx context.Context) error {
	var greeting struct {
		QMP *json.RawMessage `json:"QMP"`
	}
	if err := q.read(ctx, &greeting); err != nil {
		return fmt.Errorf("qmp greeting: %w", err)
	}
	if greeting.QMP == nil {
		return errors.New("qmp greeting: not a QMP server")
	}
	_, err := q.Execute(ctx, "qmp_capabilities", nil)
	return err
}

// Close closes the connection.
func (q *QMP) Close() error { return q.conn.Close() }

// Execute runs command with args (nil for none) and returns its "return"
// value; an "error" answer is a *QMPError.
func (q *QMP) Execute(ctx context.Context, command string, args any) (json.RawMessage, error) {
	req := map[string]any{"execute": command}
	if args != nil {
		req["arguments"] = args
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = q.conn.SetWriteDeadline(dl)
	}
	if _, err := q.conn.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("qmp %s: %w", command, err)
	}
	for {
		var resp struct {
			Return *json.RawMessage `json:"return"`
			Error  *QMPError        `json:"error"`
			Event  string           `json:"event"`
		}
		if err := q.read(ctx, &resp); err != nil {
			return nil, fmt.Errorf("qmp %s: %w", command, err)
		}
		switch {
		case resp.Error != nil:
			resp.Error.Command = command
			return nil, resp.Error
		case resp.Return != nil:
			return *resp.Return, nil
		}
		// An event, or something we do not know: read on.
	}
}

// read reads one JSON line into v, until ctx's deadline.
func (q *QMP) read(ctx context.Context, v any) error {
	if dl, ok := ctx.Deadline(); ok {
		_ = q.conn.SetReadDeadline(dl)
	} else {
		_ = q.conn.SetReadDeadline(time.Time{})
	}
	line, err := q.r.ReadBytes('\n')
	if err != nil {
		return err
	}
	return json.Unmarshal(line, v)
}

// MigrationStatus is the part of query-migrate's answer the test reads.
// Times are in milliseconds, as QEMU gives them.
type MigrationStatus struct {
	Status    string `json:"status"`
	TotalTime int64  `json:"total-time"`
	Downtime  int64  `json:"downtime"`
	SetupTime int64  `json:"setup-time"`
	RAM       *struct {
		Transferred int64 `json:"transferred"`
	} `json:"ram"`
	ErrorDesc string `json:"error-desc"`
}

// QueryMigrate runs query-migrate.
func (q *QMP) QueryMigrate(ctx context.Context) (MigrationStatus, error) {
	var st MigrationStatus
	raw, err := q.Execute(ctx, "query-migrate", nil)
	if err != nil {
		return st, err
	}
	err = json.Unmarshal(raw, &st)
	return st, err
}

// WaitMigration polls query-migrate every interval until the migration
// completed (its status), failed or was cancelled (an error), or ctx ends.
func (q *QMP) WaitMigration(ctx context.Context, interval time.Duration) (MigrationStatus, error) {
	for {
		st, err := q.QueryMigrate(ctx)
		if err != nil {
			return st, err
		}
		switch st.Status {
		case "completed":
			return st, nil
		case "failed", "cancelled":
			return st, fmt.Errorf("migration %s: %s", st.Status, st.ErrorDesc)
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("migration still %q: %w", st.Status, ctx.Err())
		case <-time.After(interval):
		}
	}
}
