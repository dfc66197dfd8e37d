package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sfkvm/sfkvm/internal/migrationtest"
	"github.com/sfkvm/sfkvm/migrate"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/sdfacility"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// hostKey waits for the guest's host key fingerprint on its console and
// prints it.
func hostKey(args []string) error {
	fs := flag.NewFlagSet("hostkey", flag.ExitOnError)
	timeout := fs.Duration("timeout", 90*time.Second, "how long to wait for the line")
	knownHosts := fs.String("known-hosts", "", "append a known_hosts line for -addr to this file")
	addr := fs.String("addr", "", "the guest's address, for -known-hosts")
	fs.Parse(args)
	if fs.NArg() != 1 || (*knownHosts != "") != (*addr != "") {
		usage()
	}
	fp, key, err := waitHostKey(fs.Arg(0), *timeout)
	if err != nil {
		return err
	}
	if *knownHosts != "" {
		f, err := os.OpenFile(*knownHosts, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(f, "%s %s", *addr, ssh.MarshalAuthorizedKey(key))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	fmt.Println(fp)
	return nil
}

// parseHostKeyLine reads the rest of a HostKeyPrefix line: the
// fingerprint must be the key's.
func parseHostKeyLine(rest string) (string, ssh.PublicKey, error) {
	fp, keyText, ok := strings.Cut(rest, " ")
	if !ok || !strings.HasPrefix(fp, "SHA256:") {
		return "", nil, fmt.Errorf("not a fingerprint and a key: %q", rest)
	}
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(keyText))
	if err != nil {
		return "", nil, fmt.Errorf("the host key line's key: %w", err)
	}
	if got := ssh.FingerprintSHA256(key); got != fp {
		return "", nil, fmt.Errorf("the host key line says %s but its key is %s", fp, got)
	}
	return fp, key, nil
}

func waitHostKey(console string, timeout time.Duration) (string, ssh.PublicKey, error) {
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile(console)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", nil, err
		}
		lines := strings.Split(string(b), "\n")
		for _, l := range lines[:len(lines)-1] { // whole lines only
			l = strings.TrimRight(l, "\r")
			if rest, ok := strings.CutPrefix(l, migrationtest.HostKeyPrefix); ok {
				return parseHostKeyLine(rest)
			}
			if strings.HasPrefix(l, "SFKVM-NET-ERROR") || strings.HasPrefix(l, "SFKVM-ERROR") {
				return "", nil, fmt.Errorf("%s: the guest says: %s", console, l)
			}
		}
		if time.Now().After(deadline) {
			return "", nil, fmt.Errorf("gave up after %v waiting for the guest's %q line on %s (%d bytes there)", timeout, migrationtest.HostKeyPrefix, console, len(b))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// login logs in to a guest over SSH, trusting only the given host key,
// and runs what sfkvm runs there: the read of the host information disk
// through sudo (it must name -want), and with -restored the checks that
// a guarded migration left the node as it was (cluster.config byte for
// byte, cfset -a showing CF's default timeout, sdtool -s ready).
func login(args []string) error {
	fs := flag.NewFlagSet("login", flag.ExitOnError)
	addr := fs.String("addr", "", "the guest's address:port")
	user := fs.String("user", "", "the login")
	pwFile := fs.String("password-file", "", "a file holding the password")
	fingerprint := fs.String("fingerprint", "", "the only host key to trust (SHA256:...)")
	want := fs.String("want", "", "the host CF name the guest must read")
	restored := fs.Bool("restored", false, "also check cluster.config, cfset -a and sdtool -s")
	cluster := fs.String("cluster", "cluster1", "the cluster's name, in its cluster.config, for -restored")
	timeout := fs.Duration("timeout", 60*time.Second, "how long to keep trying")
	fs.Parse(args)
	if *addr == "" || *user == "" || *pwFile == "" || *fingerprint == "" || *want == "" || fs.NArg() != 0 {
		usage()
	}
	pw, err := os.ReadFile(*pwFile)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	start := time.Now()
	var last error
	for {
		restoredCluster := ""
		if *restored {
			restoredCluster = *cluster
		}
		host, err := loginOnce(ctx, *addr, *user, strings.TrimRight(string(pw), "\n"), *fingerprint, restoredCluster)
		if err == nil && host == *want {
			fmt.Printf("ssh %s@%s (host key %s): reads %s (%.1f s)\n", *user, *addr, *fingerprint, host, time.Since(start).Seconds())
			return nil
		}
		if err == nil {
			err = fmt.Errorf("the guest reads %s, not %s", host, *want)
		}
		var hk *hostKeyError
		var nr *notRestoredError
		if errors.As(err, &hk) || errors.As(err, &nr) {
			return err // a wrong key, or a node left changed, is never retried
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up after %v logging in to %s to see it read %s: %w", *timeout, *addr, *want, last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

type hostKeyError struct{ got, want string }

func (e *hostKeyError) Error() string {
	return fmt.Sprintf("host key %s, not the %s the guest printed on its console", e.got, e.want)
}

// notRestoredError: the node is not as it was before a guarded migration.
type notRestoredError struct{ err error }

func (e *notRestoredError) Error() string { return "not restored: " + e.err.Error() }

// loginOnce logs in and reads the disk; with restored (a cluster name)
// it checks that the node is as before a guarded migration.
func loginOnce(ctx context.Context, addr, user, password, fingerprint, restored string) (string, error) {
	s, err := dialGuest(ctx, addr, user, password, fingerprint)
	if err != nil {
		return "", err
	}
	defer s.close()
	host, err := s.readHost()
	if err != nil {
		return "", err
	}
	if restored != "" {
		if err := checkRestored(s.run, restored); err != nil {
			return "", &notRestoredError{err}
		}
	}
	return host, nil
}

// guestSession is one SSH login to a guest.
type guestSession struct {
	addr   string
	conn   net.Conn
	client *ssh.Client
}

// dialGuest logs in with a password, trusting only the host key whose
// fingerprint is given.
func dialGuest(ctx context.Context, addr, user, password, fingerprint string) (*guestSession, error) {
	conf := &ssh.ClientConfig{
		User: user,
		Auth: []ssh.AuthMethod{ssh.Password(password)},
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			if got := ssh.FingerprintSHA256(key); got != fingerprint {
				return &hostKeyError{got, fingerprint}
			}
			return nil
		},
		Timeout: 10 * time.Second,
	}
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	// Bounded: a guest paused by its migration must not hold a read for
	// ever (the session is made again).
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < 30*time.Second {
		conn.SetDeadline(dl)
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, conf)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &guestSession{addr: addr, conn: conn, client: ssh.NewClient(c, chans, reqs)}, nil
}

func (s *guestSession) close() { s.client.Close() }

// run runs a command through sudo -n, as sfkvm does for a non-root login.
func (s *guestSession) run(name string, args ...string) ([]byte, error) {
	line, err := sshcheck.QuoteCommand(name, args...)
	if err != nil {
		return nil, err
	}
	// Each command bounded: a guest gone (paused, dead) cannot hold it.
	s.conn.SetDeadline(time.Now().Add(30 * time.Second))
	sess, err := s.client.NewSession()
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	var out, errOut bytes.Buffer
	sess.Stdout, sess.Stderr = &out, &errOut
	if err := sess.Run("LC_ALL=C sudo -n -- " + line); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", line, err, strings.TrimSpace(errOut.String()))
	}
	return out.Bytes(), nil
}

// readHost reads the host information disk as sfkvm does
// (migratesetup.GuestReadCommand) and returns the host's CF name.
func (s *guestSession) readHost() (string, error) {
	out, err := s.run("sh", "-c", migratesetup.GuestReadCommand)
	if err != nil {
		return "", err
	}
	info, err := migratesetup.ParseDisk(out, s.addr+" host information disk")
	if err != nil {
		return "", err
	}
	return info.CFName, nil
}

// checkRestored: what a guarded migration must leave on a node.
func checkRestored(run func(string, ...string) ([]byte, error), cluster string) error {
	conf, err := run("cat", "--", migrate.DefaultClusterConfig)
	if err != nil {
		return err
	}
	if string(conf) != migrationtest.ClusterConfig(cluster) {
		return fmt.Errorf("%s is not as before: %q", migrate.DefaultClusterConfig, conf)
	}
	a, err := run(migrate.DefaultCFSet, "-a")
	if err != nil {
		return err
	}
	// CF's default timeout, as before the guard (10 s).
	if !strings.Contains(string(a), "KEY: CLUSTER_TIMEOUT VALUE: 10\n") {
		return fmt.Errorf("cfset -a does not show CLUSTER_TIMEOUT 10: %q", a)
	}
	s, err := run(migrate.DefaultSDTool, "-s")
	if err != nil {
		return err
	}
	if st := sdfacility.ParseStatus(s); !st.Ready() {
		return fmt.Errorf("sdtool -s: %s", st.Summary())
	}
	return nil
}
