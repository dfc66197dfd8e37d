package enroll

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/sfkvm/sfkvm/sshcheck"
	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

// trustAllScript records many keys in one known_hosts file in one round:
// `sh -c trustAllScript sh TRUSTSCRIPT FILE MODE`, with one "NAME BLOB
// LINE" a line on stdin; for each it runs trustScript and prints
// "STATUS NAME OUTPUT" (OUTPUT on one line).
const trustAllScript = `s=$1 f=$2 mode=$3
while read -r name blob line; do
	out=$(sh -c "$s" sh "$f" "$name" "$line" "$blob" "$mode" 2>&1); st=$?
	printf '%s %s %s\n' "$st" "$name" "$(printf '%s' "$out" | tr '\n' ' ')"
done
exit 0
`

// trustEntry is one key to record, for the host at hostport.
type trustEntry struct {
	hostport string
	key      ssh.PublicKey
}

// runTrustAll records every entry's key in file through run, in one
// command: for each entry "known", "added" or (dryRun) "would", or its
// error. err is the command's own failure (then no entry has a result).
func runTrustAll(ctx context.Context, run func(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, []byte, int, error),
	file string, entries []trustEntry, dryRun bool) ([]string, []error, error) {
	words, errs := make([]string, len(entries)), make([]error, len(entries))
	if len(entries) == 0 {
		return words, errs, nil
	}
	mode := "add"
	if dryRun {
		mode = "check"
	}
	var in strings.Builder
	index := map[string]int{}
	for i, e := range entries {
		name := xknownhosts.Normalize(e.hostport)
		index[name] = i
		fmt.Fprintf(&in, "%s %s %s\n", name, keyBlob(e.key), knownHostsLine(e.hostport, e.key))
		errs[i] = fmt.Errorf("recording the key in %s: no answer", file)
	}
	stdout, stderr, status, err := run(ctx, []byte(in.String()), "sh", "-c", trustAllScript, "sh", trustScript, file, mode)
	if err == nil && status != 0 {
		err = fmt.Errorf("recording the keys in %s: exit %d: %s", file, status, quote(stderr))
	}
	if err != nil {
		return nil, nil, err
	}
	for _, l := range strings.Split(string(stdout), "\n") {
		f := strings.SplitN(l, " ", 3)
		if len(f) < 2 {
			continue
		}
		i, ok := index[f[1]]
		if !ok {
			continue
		}
		out := ""
		if len(f) == 3 {
			out = strings.TrimSpace(f[2])
		}
		switch f[0] {
		case "0":
			words[i], errs[i] = lastWord(out), nil
		case fmt.Sprint(exitKeyChanged):
			words[i], errs[i] = "", fmt.Errorf("%w: %s", ErrKeyChanged, quote([]byte(out)))
		default:
			words[i], errs[i] = "", fmt.Errorf("recording the key in %s: exit %s: %s", file, f[0], quote([]byte(out)))
		}
	}
	return words, errs, nil
}

func lastWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}

// keyTally is what recordKeys found for one guest, as keys() words it.
type keyTally struct {
	mu                         sync.Mutex
	done, already, would, errs []string
}

func (k *keyTally) add(where, what string, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch {
	case err != nil:
		k.errs = append(k.errs, where+": "+err.Error())
	case what == "added":
		k.done = append(k.done, where)
	case what == "would":
		k.would = append(k.would, where)
	default:
		k.already = append(k.already, where)
	}
}

// recordKeys is Run's step 8 for every guest that got so far, in one
// round per place: every guest's key in this host's first known_hosts,
// in root's known_hosts on every other host (the hosts at once), and
// every Plan.GuestKnows host's key (scanned once, checked against this
// host's known_hosts) in each guest's root known_hosts. A guest with a
// key that could not be recorded fails its keys step and is taken back.
func (b Batch) recordKeys(ctx context.Context, ms []*member) {
	var live []*member
	var entries []trustEntry
	for _, m := range ms {
		if m.ok {
			live = append(live, m)
			entries = append(entries, trustEntry{m.p.hostport(), m.key})
		}
	}
	if len(live) == 0 {
		return
	}
	tally := make([]keyTally, len(live))
	record := func(where string, words []string, errs []error, err error) {
		for i := range live {
			if err != nil {
				tally[i].add(where, "", err)
			} else {
				tally[i].add(where, words[i], errs[i])
			}
		}
	}
	var wg sync.WaitGroup
	files := b.knownFiles()
	// Step 5's addresses, unless given: every host's registration, this
	// host's here, the others' on the connection that records the keys
	// (as Run reads them).
	regs := map[string]registration{}
	var regsMu sync.Mutex
	fromRegs := len(b.GuestKnows) == 0
	if fromRegs {
		regs[LocalHost] = readRegistration(ctx, localRun, LocalHost, b.hostInfoPath())
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		w, e, err := runTrustAll(ctx, localRun, files[0], entries, b.DryRun)
		record(LocalHost, w, e, err)
	}()
	for _, h := range b.Files.Hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ctx.Err(); err != nil {
				record(h.Name, nil, nil, context.Cause(ctx))
				return
			}
			r, err := b.Files.Connect(ctx, h.Name)
			if err != nil {
				record(h.Name, nil, nil, err)
				return
			}
			defer r.Close()
			w, e, err := runTrustAll(ctx, r.RunInput, b.HostKnownHosts, entries, b.DryRun)
			if fromRegs && err == nil {
				reg := readRegistration(ctx, r.RunInput, h.Name, b.hostInfoPath())
				regsMu.Lock()
				regs[h.Name] = reg
				regsMu.Unlock()
			}
			record(h.Name, w, e, err)
		}()
	}
	// Step 5: every host's key, scanned once, into each guest.
	var hostKeys []trustEntry
	type hostErr struct {
		where string
		err   error
	}
	var hostErrs []hostErr
	guestKnows, missing := b.GuestKnows, []string(nil)
	if fromRegs {
		wg.Wait() // the registrations are read with the hosts' keys
		for i, m := range live {
			var t []sshcheck.Target
			t, missing = m.p.stepFive(regs, m.rep) // each report shows the addresses
			if i == 0 {
				guestKnows = t
			}
		}
	}
	for _, t := range guestKnows {
		hk, err := b.knownHostKey(ctx, t)
		if err != nil {
			hostErrs = append(hostErrs, hostErr{"guest knows " + t.Name, err})
			continue
		}
		hostKeys = append(hostKeys, trustEntry{t.HostPort(), hk})
	}
	idx := map[*member]int{}
	for i, m := range live {
		idx[m] = i
	}
	each(live, b.Parallel, func(m *member) {
		i := idx[m]
		for _, e := range hostErrs {
			tally[i].add(e.where, "", e.err)
		}
		w, e, err := runTrustAll(ctx, m.ac.RunInput, m.p.GuestKnownHosts, hostKeys, b.DryRun)
		for j, t := range hostKeys {
			where := "guest knows " + t.hostport
			for _, g := range guestKnows {
				if g.HostPort() == t.hostport {
					where = "guest knows " + g.Name
				}
			}
			if err != nil {
				tally[i].add(where, "", err)
			} else {
				tally[i].add(where, w[j], e[j])
			}
		}
	})
	wg.Wait()
	for i, m := range live {
		k := &tally[i]
		var parts []string
		if len(k.done) > 0 {
			parts = append(parts, "added: "+strings.Join(k.done, ", "))
		}
		if len(k.would) > 0 {
			parts = append(parts, "would add: "+strings.Join(k.would, ", "))
		}
		if len(k.already) > 0 {
			parts = append(parts, "known: "+strings.Join(k.already, ", "))
		}
		detail := "the guest's key " + m.rep.GuestKey + " on the hosts; the hosts' keys in the guest's " + m.p.GuestKnownHosts + "; " + strings.Join(parts, "; ")
		switch {
		case len(k.errs) > 0:
			m.fail("keys", detail, errors.New(strings.Join(k.errs, "; ")))
			continue
		case len(k.done) > 0:
			m.rep.step("keys", Done, detail, nil)
		case len(k.would) > 0:
			m.rep.step("keys", Would, detail, nil)
		default:
			m.rep.step("keys", Already, detail, nil)
		}
		if len(missing) > 0 {
			m.rep.step("guest-knows", Left, stepFiveLeft(missing), nil)
		}
	}
}
