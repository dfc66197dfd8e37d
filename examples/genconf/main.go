package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/safefile"
	"github.com/sfkvm/sfkvm/kvmguests"
)

func main() {
	inventory := flag.String("inventory", "", "the CSV inventory of guests")
	passwords := flag.String("passwords", "", "a 0600 file of \"user password\" lines (default: ask on the terminal)")
	out := flag.String("o", kvmguests.DefaultPath, "the kvmguests.conf to write")
	sfcipher := flag.String("sfcipher", "", "path of the vendor's sfcipher (default: PATH, /opt/SMAW/bin, /opt/SMAW/SMAWsf/bin)")
	flag.Parse()
	if err := run(context.Background(), *inventory, *passwords, *out, &cipher.Sfcipher{Path: *sfcipher}); err != nil {
		fmt.Fprintln(os.Stderr, "genconf:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, inventory, passwords, out string, enc cipher.Encrypter) error {
	// A regular file (never a FIFO or a device, which could block or never
	// end), read up to the size of a kvmguests.conf.
	f, err := safefile.OpenRegular(inventory, false)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := csv.NewReader(io.LimitReader(f, kvmguests.MaxSize)).ReadAll()
	if err != nil {
		return fmt.Errorf("%s: %w", inventory, err)
	}
	if len(rows) < 2 {
		return fmt.Errorf("%s: a header and at least one guest are needed", inventory)
	}
	ask, err := passwordSource(passwords)
	if err != nil {
		return err
	}
	tokens := map[string]kvmguests.Token{} // one sfcipher run per user
	var cfg kvmguests.Config
	for i, r := range rows[1:] {
		if len(r) != 6 {
			return fmt.Errorf("%s:%d: %d columns, want 6", inventory, i+2, len(r))
		}
		ip, err := netip.ParseAddr(r[4])
		if err != nil {
			return fmt.Errorf("%s:%d: guest_IP: %w", inventory, i+2, err)
		}
		user := r[5]
		if _, done := tokens[user]; !done {
			pw, err := ask(user)
			if err != nil {
				return err
			}
			tok, err := enc.Encrypt(ctx, pw)
			clear(pw)
			if err != nil {
				return fmt.Errorf("encrypting the password of %s: %w", user, err)
			}
			tokens[user] = kvmguests.Token(tok)
		}
		cfg.Add(kvmguests.Guest{Name: r[0], HostCFName: r[1], ClusterName: r[2], CFName: r[3], IP: ip, User: user, Password: tokens[user]})
	}
	// WriteFile refuses errors (a duplicate guest, a loopback address, ...)
	// and replaces the file atomically, 0600 from the first byte.
	return kvmguests.WriteFile(out, &cfg, kvmguests.Options{})
}

// passwordSource reads passwords from a file that only its owner can read,
// or asks on the terminal without echo.
func passwordSource(path string) (func(user string) ([]byte, error), error) {
	if path == "" {
		return func(user string) ([]byte, error) {
			fmt.Fprintf(os.Stderr, "password of %s: ", user)
			defer fmt.Fprintln(os.Stderr)
			return term.ReadPassword(int(os.Stdin.Fd()))
		}, nil
	}
	// Opened as every secret is: not a symbolic link, a regular file, owned
	// by root or the caller, no permission for group or others.
	f, err := safefile.OpenPrivate(path)
	if err != nil {
		return nil, fmt.Errorf("%w (it must be a file that only its owner can read: chmod 600)", err)
	}
	defer f.Close()
	byUser := map[string][]byte{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		user, pw, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		byUser[user] = []byte(pw)
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return func(user string) ([]byte, error) {
		pw, ok := byUser[user]
		if !ok {
			return nil, fmt.Errorf("%s has no password for %s", path, user)
		}
		return append([]byte(nil), pw...), nil
	}, nil
}
