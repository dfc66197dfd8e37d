package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

// watch logs in to a guest (as login does, trusting one host key), waits
// idle until -start-file exists, then reads its host information disk
// every -interval until it reads -want, logging in again whenever the
// connection breaks. It then prints the Unix time of that read, in
// seconds: the benchmark subtracts the time the migration command ended.
//
// Why idle until told: the login is made before the migration, so that it
// is not counted, but no traffic may reach the guest while it migrates.
// Under TCG (QEMU 7.2, Debian's 6.1 guest kernel) a guest that received
// frames all through its migration, a read every 50 ms, panicked soon
// after on a corrupted page list in virtio_net's receive path, in two of
// four runs; sfkvm reads only once the migration has ended.
func watch(args []string) error {
	fs := flag.NewFlagSet("watch", flag.ExitOnError)
	addr := fs.String("addr", "", "the guest's address:port")
	user := fs.String("user", "", "the login")
	pwFile := fs.String("password-file", "", "a file holding the password")
	fingerprint := fs.String("fingerprint", "", "the only host key to trust (SHA256:...)")
	want := fs.String("want", "", "the host CF name to wait for")
	interval := fs.Duration("interval", 50*time.Millisecond, "between reads")
	timeout := fs.Duration("timeout", 3*time.Minute, "how long to wait")
	startFile := fs.String("start-file", "", "read only once this file exists")
	readyFile := fs.String("ready-file", "", "made once logged in")
	fs.Parse(args)
	if *addr == "" || *user == "" || *pwFile == "" || *fingerprint == "" || *want == "" || *startFile == "" || *readyFile == "" || fs.NArg() != 0 {
		usage()
	}
	pw, err := os.ReadFile(*pwFile)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	var last error
	s, err := dialGuest(ctx, *addr, *user, strings.TrimRight(string(pw), "\n"), *fingerprint)
	if err != nil {
		return fmt.Errorf("logging in before the migration: %w", err)
	}
	if err := os.WriteFile(*readyFile, nil, 0o600); err != nil {
		return err
	}
	for {
		if _, err := os.Stat(*startFile); err == nil {
			break
		}
		if ctx.Err() != nil {
			s.close()
			return fmt.Errorf("gave up after %v waiting for %s", *timeout, *startFile)
		}
		time.Sleep(5 * time.Millisecond)
	}
	for ctx.Err() == nil {
		if s == nil {
			s, err = dialGuest(ctx, *addr, *user, strings.TrimRight(string(pw), "\n"), *fingerprint)
			if err != nil {
				var hk *hostKeyError
				if errors.As(err, &hk) {
					return err
				}
				last = err
				time.Sleep(*interval)
				continue
			}
		}
		for ctx.Err() == nil {
			host, err := s.readHost()
			if err != nil {
				last = err
				break // log in again
			}
			if host == *want {
				s.close()
				fmt.Printf("%.3f\n", float64(time.Now().UnixNano())/1e9)
				return nil
			}
			time.Sleep(*interval)
		}
		s.close()
		s = nil
	}
	return fmt.Errorf("gave up after %v waiting for %s to read %s (last: %v)", *timeout, *addr, *want, last)
}

// figures prints the figures of an `sfkvm migrate --format json` report
// as words for the shell: total=S migration=S own=S reads=S (own: total
// less the migration; reads: from the migration's end to the guest's read
// of its new host), and fails unless the outcome is a verified migration.
func figures(args []string) error {
	if len(args) != 1 {
		usage()
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	var r struct {
		Schema              string   `json:"schema"`
		Outcome             string   `json:"outcome"`
		MigrationSeconds    *float64 `json:"migration_seconds"`
		ReadsNewHostSeconds *float64 `json:"reads_new_host_seconds"`
		TotalSeconds        float64  `json:"total_seconds"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	if r.Schema != "sfkvm.migrate/v1" || r.Outcome != "migrated" || r.MigrationSeconds == nil || r.ReadsNewHostSeconds == nil {
		return fmt.Errorf("%s: not a completed sfkvm.migrate/v1 report (schema %q, outcome %q)", args[0], r.Schema, r.Outcome)
	}
	fmt.Printf("total=%.3f migration=%.3f own=%.3f reads=%.3f\n", r.TotalSeconds, *r.MigrationSeconds, r.TotalSeconds-*r.MigrationSeconds, *r.ReadsNewHostSeconds)
	return nil
}
