package rotate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sfkvm/sfkvm/internal/conflock"
	"github.com/sfkvm/sfkvm/kvmguests"
)

// acquireHosts proves on every other host what the write will need and,
// with mode "lock", takes the lock of its copy for owner (conflock's
// script), reading each copy's hash at the same time. held tells which
// hosts' locks this run took.
func acquireHosts(ctx context.Context, p Plan, owner conflock.Owner, mode, oldHash string) (hosts []HostResult, held []bool) {
	held = make([]bool, len(p.Hosts))
	hosts = eachHost(ctx, p, oldHash, "", func(ctx context.Context, i int, r HostRunner) (string, error) {
		h, err := acquireHost(ctx, r, p.Hosts[i].File, mode, owner)
		held[i] = mode == "lock" && (err == nil || errors.Is(err, errNoFile))
		return h, err
	})
	return hosts, held
}

// releaseAll removes this run's locks: this host's, and those of the
// hosts marked held. It runs on a context of its own (the run's may have
// ended) and returns a note for each lock that stays until its lease
// ends.
func releaseAll(ctx context.Context, p Plan, owner conflock.Owner, held []bool) []string {
	cctx, cancel := cleanupContext(ctx, p)
	defer cancel()
	var notes []string
	if err := conflock.Release(p.File, owner); err != nil {
		notes = append(notes, fmt.Sprintf("%s: the lock %s was not released: %v", LocalHost, conflock.Path(p.File), err))
	}
	errs := make([]error, len(p.Hosts))
	forHosts(cctx, p, func(ctx context.Context, i int, r HostRunner) error {
		if i >= len(held) || !held[i] {
			return nil
		}
		return releaseHost(ctx, r, p.Hosts[i].File, owner.Run)
	}, func(i int, err error) {
		if i < len(held) && held[i] {
			errs[i] = err
		}
	})
	for i, err := range errs {
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s: the lock %s was not released (it goes when this host's next sfkvm run finds it, or when its lease ends): %v",
				p.Hosts[i].Name, conflock.Path(p.Hosts[i].File), err))
		}
	}
	return notes
}

// tokensOnly reads host i's copy and reports whether it differs from cur
// in guest_passwd fields only: the same lines, each equal or equal but
// for its last field. When not, it returns the difference (tokens as
// fingerprints).
func tokensOnly(ctx context.Context, p Plan, i int, cur kvmguests.Copy) (string, bool) {
	data, err := fetchFrom(ctx, p, i)
	if err != nil {
		return fmt.Sprintf("(not read: %v)", err), false
	}
	a, b := strings.Split(string(cur.Data), "\n"), strings.Split(string(data), "\n")
	same := len(a) == len(b)
	for j := 0; same && j < len(a); j++ {
		same = a[j] == b[j] || withoutToken(a[j]) == withoutToken(b[j]) && strings.Contains(a[j], " ")
	}
	if same {
		return "", true
	}
	return compare(cur, p.Hosts[i], data), false
}

// diffHost is the difference between cur and host i's copy.
func diffHost(ctx context.Context, p Plan, i int, cur kvmguests.Copy) string {
	data, err := fetchFrom(ctx, p, i)
	if err != nil {
		return fmt.Sprintf("(not read: %v)", err)
	}
	return compare(cur, p.Hosts[i], data)
}

func compare(cur kvmguests.Copy, h Host, data []byte) string {
	c := kvmguests.Compare(cur, kvmguests.Copy{Name: h.Name + ":" + h.File, Data: data})
	return c.Diff
}

// withoutToken is a line without its last field.
func withoutToken(l string) string {
	if i := strings.LastIndexByte(l, ' '); i >= 0 {
		return l[:i]
	}
	return l
}

// fetchFrom reads host i's copy.
func fetchFrom(ctx context.Context, p Plan, i int) (data []byte, err error) {
	forHosts(ctx, Plan{Hosts: []Host{p.Hosts[i]}, Connect: p.Connect, Parallel: 1, HostTimeout: p.HostTimeout},
		func(ctx context.Context, _ int, r HostRunner) error {
			data, err = fetchHost(ctx, r, p.Hosts[i].File)
			return err
		}, func(_ int, e error) {
			if err == nil {
				err = e
			}
		})
	return data, err
}
