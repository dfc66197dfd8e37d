package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/sfkvm/sfkvm/internal/migrationtest"
	"github.com/sfkvm/sfkvm/migratesetup"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "register":
		err = register(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	case "console":
		err = console(os.Args[2:])
	case "freeport":
		err = freePort(os.Stdout)
	case "hostkey":
		err = hostKey(os.Args[2:])
	case "login":
		err = login(os.Args[2:])
	case "peer":
		err = peer(os.Args[2:])
	case "netbridge":
		err = netBridge(os.Args[2:])
	case "watch":
		err = watch(os.Args[2:])
	case "figures":
		err = figures(os.Args[2:])
	case "drillcheck":
		err = drillCheck(os.Args[2:], os.Stdout)
	case "stallcheck":
		err = stallCheck(os.Args[2:], os.Stdout)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "migrate:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: migrate register PATH CFNAME IP | migrate run FLAGS | migrate console FILE CFNAME | migrate freeport\n"+
		"       migrate hostkey [-known-hosts FILE -addr IP] CONSOLE | migrate login FLAGS | migrate peer FLAGS | migrate netbridge -group ADDR:PORT -tap NAME\n"+
		"       migrate watch FLAGS | migrate figures SFKVM-MIGRATE.json\n"+
		"       migrate drillcheck -home CFNAME -other HOST [-legs N] DRILL.json | migrate stallcheck -source CFNAME [-nodes N] REPORT.json")
	os.Exit(2)
}

func register(args []string) error {
	if len(args) != 3 {
		usage()
	}
	ip, err := netip.ParseAddr(args[2])
	if err != nil {
		return err
	}
	return migratesetup.Register(context.Background(), args[0], migratesetup.HostInfo{CFName: args[1], IP: ip})
}

// console follows a console file; Seen reports every complete report line
// read so far.
type consoleFile struct {
	path string
	off  int
	part string
	all  []migrationtest.Report
	// firstPollHad: host B's report was there at the first look.
	firstPollHad bool
	// alive, when set, is asked about once a second while waiting: an
	// error (the QEMU behind the console is gone) ends the wait.
	alive func(context.Context) error
	// grew is when the file last grew (or the wait started), lastAt when
	// the last report was read: what a wait that gives up tells.
	grew, lastAt time.Time
	// stall, when set, ends a wait when the console stays silent that
	// long while the QEMU behind it runs: the guest is stuck (a healthy
	// guest prints a report at least every 20 readings, about a second),
	// and waiting for the rest of the budget would only hide when.
	stall time.Duration
	// evidence, when set, is asked what the QEMU says when a wait gives
	// up (its status, its devices' queues), for the message.
	evidence func(context.Context) string
}

// poll reads what was added to the file since the last call.
func (c *consoleFile) poll() error {
	b, err := os.ReadFile(c.path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	if len(b) < c.off {
		return fmt.Errorf("%s shrank", c.path)
	}
	if len(b) > c.off {
		c.grew = time.Now()
	}
	text := c.part + string(b[c.off:])
	c.off = len(b)
	lines := strings.Split(text, "\n")
	c.part = lines[len(lines)-1]
	for _, l := range lines[:len(lines)-1] {
		if strings.HasPrefix(l, "SFKVM-ERROR") {
			return fmt.Errorf("the guest says: %s", l)
		}
		if r, ok := migrationtest.ParseReport(l); ok {
			c.all = append(c.all, r)
			c.lastAt = time.Now()
		}
	}
	return nil
}

// waitFor polls until match holds for a report, returning it and the
// time it was seen.
func (c *consoleFile) waitFor(ctx context.Context, what string, match func(migrationtest.Report) bool) (migrationtest.Report, time.Time, error) {
	checked := 0
	start := time.Now()
	lastAlive := start
	if c.grew.Before(start) {
		c.grew = start
	}
	for {
		if err := c.poll(); err != nil {
			return migrationtest.Report{}, time.Time{}, err
		}
		if c.alive != nil && time.Since(lastAlive) > time.Second {
			lastAlive = time.Now()
			if err := c.alive(ctx); err != nil {
				return migrationtest.Report{}, time.Time{}, fmt.Errorf("waiting for %s in %s: %w", what, c.path, err)
			}
		}
		now := time.Now()
		for ; checked < len(c.all); checked++ {
			if match(c.all[checked]) {
				return c.all[checked], now, nil
			}
		}
		if c.stall > 0 && time.Since(c.grew) > c.stall {
			return migrationtest.Report{}, time.Time{}, c.gaveUp(ctx, what, start, fmt.Errorf("the console has been silent for %s: the guest (or its QEMU) is stuck", c.stall.Round(time.Second)))
		}
		select {
		case <-ctx.Done():
			return migrationtest.Report{}, time.Time{}, c.gaveUp(ctx, what, start, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// gaveUp is the error of a wait that ended without its report: what it
// waited for, how long, the last report and when it came, when the file
// last grew, and what QEMU says.
func (c *consoleFile) gaveUp(ctx context.Context, what string, start time.Time, cause error) error {
	last := "nothing"
	if len(c.all) > 0 {
		last = fmt.Sprintf("%s, read %s ago", c.all[len(c.all)-1], time.Since(c.lastAt).Round(100*time.Millisecond))
	}
	msg := fmt.Sprintf("%s: %s not seen in %s of waiting (last report: %s; the file last grew %s ago, %d bytes)",
		c.path, what, time.Since(start).Round(100*time.Millisecond), last, time.Since(c.grew).Round(100*time.Millisecond), c.off)
	if c.evidence != nil {
		ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		msg += "; QEMU: " + c.evidence(ectx)
		cancel()
	}
	return fmt.Errorf("%s: %w", msg, cause)
}

func console(args []string) error {
	fs := flag.NewFlagSet("console", flag.ExitOnError)
	timeout := fs.Duration("timeout", 3*time.Minute, "how long to wait")
	_ = fs.Parse(args)
	if fs.NArg() != 2 {
		usage()
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	c := &consoleFile{path: fs.Arg(0)}
	r, _, err := c.waitFor(ctx, "a report of "+fs.Arg(1), func(r migrationtest.Report) bool { return r.Direct == fs.Arg(1) })
	if err != nil {
		return err
	}
	fmt.Println(r.String())
	return nil
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	aQMP := fs.String("a-qmp", "", "host A's QMP socket")
	bQMP := fs.String("b-qmp", "", "host B's QMP socket")
	aCon := fs.String("a-console", "", "host A's console file")
	bCon := fs.String("b-console", "", "host B's console file")
	uri := fs.String("uri", "", "the migration URI that host B listens on")
	hostA := fs.String("host-a", "cfhostA", "host A's CF node name")
	hostB := fs.String("host-b", "cfhostB", "host B's CF node name")
	accel := fs.String("accel", "tcg", "the accelerator (for the figures)")
	bootLimit := fs.Duration("boot-timeout", 3*time.Minute, "how long the guest may take to boot")
	limit := fs.Duration("timeout", 2*time.Minute, "how long the migration may take")
	afterLimit := fs.Duration("after-timeout", 2*time.Minute, "how long the guest's readings on host B may take, from the migration's end")
	stall := fs.Duration("stall", time.Minute, "a console silent this long while its QEMU runs: the guest is stuck (0: no such check)")
	_ = fs.Parse(args)
	if *aCon == "" || *bCon == "" || fs.NArg() == 0 && (*aQMP == "" || *bQMP == "" || *uri == "") {
		usage()
	}

	bootCtx, cancel := context.WithTimeout(context.Background(), *bootLimit)
	defer cancel()
	start := time.Now()
	a := &consoleFile{path: *aCon}
	// A second of readings on host A first (the guest reports every 20th),
	// so that its counter visibly goes on across the migration.
	before, _, err := a.waitFor(bootCtx, "a report of "+*hostA, func(r migrationtest.Report) bool {
		return r.Direct == *hostA && r.Held == *hostA && r.Plain == *hostA && r.N >= 20
	})
	if err != nil {
		return err
	}
	booted := time.Since(start)
	fmt.Printf("before: %s\n", before)

	ctx, cancel2 := context.WithTimeout(context.Background(), *limit)
	defer cancel2()
	var (
		st    migrationtest.MigrationStatus
		took  time.Duration
		ended time.Time
		qb    *migrationtest.QMP
	)
	if fs.NArg() > 0 {
		// The migration is a command's (virsh migrate): run it, time it.
		cmd := exec.CommandContext(ctx, fs.Arg(0), fs.Args()[1:]...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		t0 := time.Now()
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w", strings.Join(fs.Args(), " "), err)
		}
		ended = time.Now()
		took = ended.Sub(t0)
	} else {
		qa, err := migrationtest.DialQMP(ctx, *aQMP)
		if err != nil {
			return err
		}
		defer qa.Close()
		qb, err = migrationtest.DialQMP(ctx, *bQMP)
		if err != nil {
			return err
		}
		defer qb.Close()
		if _, err := qa.Execute(ctx, "migrate", map[string]any{"uri": *uri}); err != nil {
			return err
		}
		st, err = qa.WaitMigration(ctx, 10*time.Millisecond)
		if err != nil {
			return err
		}
		ended = time.Now()
	}

	// The readings on host B have a budget of their own, from the end of
	// the migration: on a busy machine the migration itself can take most
	// of a shared one (the guest then had seconds left to show host B).
	ctx, cancel3 := context.WithTimeout(context.Background(), *afterLimit)
	defer cancel3()
	b := &consoleFile{path: *bCon, stall: *stall}
	if qb != nil {
		b.evidence = func(ctx context.Context) string { return qmpEvidence(ctx, qb) }
		b.alive = func(ctx context.Context) error {
			raw, err := qb.Execute(ctx, "query-status", nil)
			if err != nil {
				return fmt.Errorf("host B's QEMU: %w", err)
			}
			var st struct {
				Status string `json:"status"`
			}
			if err := json.Unmarshal(raw, &st); err != nil {
				return err
			}
			if st.Status != "running" {
				return fmt.Errorf("host B's guest is %s, not running", st.Status)
			}
			return nil
		}
	}
	if err := b.poll(); err != nil {
		return err
	}
	for _, r := range b.all {
		b.firstPollHad = b.firstPollHad || r.Direct == *hostB
	}
	after, seen, err := b.waitFor(ctx, "a report of "+*hostB, func(r migrationtest.Report) bool { return r.Direct == *hostB })
	if err != nil {
		return err
	}
	fmt.Printf("after:  %s\n", after)
	// The last report on host A, read now that host A's QEMU has stopped
	// the guest: the counter must go on from it on host B.
	if err := a.poll(); err != nil {
		return err
	}
	lastA := a.all[len(a.all)-1]
	var problems []string
	for _, r := range append(a.all, b.all...) {
		if r.Boot != before.Boot {
			problems = append(problems, fmt.Sprintf("the guest rebooted: boot id %s, then %s", before.Boot, r.Boot))
			break
		}
	}
	if after.N <= lastA.N {
		problems = append(problems, fmt.Sprintf("the guest's counter did not go on: %d on host A, %d on host B", lastA.N, after.N))
	}

	// Why O_DIRECT: the plain reads, while the held descriptor is open
	// and after the guest closed it.
	if after.Held != *hostA {
		problems = append(problems, fmt.Sprintf("the held descriptor read %s after the migration, not %s (the cache)", after.Held, *hostA))
	}
	if after.Plain != *hostA {
		problems = append(problems, fmt.Sprintf("a plain open/read/close read %s while the held descriptor was open, not %s", after.Plain, *hostA))
	}
	closed, _, err := b.waitFor(ctx, "a report with the held descriptor closed", func(r migrationtest.Report) bool { return r.Held == "closed" })
	if err != nil {
		return err
	}
	// The report that closed the descriptor read plain before closing;
	// the next one is the first plain read with no descriptor open.
	nextPlain, _, err := b.waitFor(ctx, "a report after the close", func(r migrationtest.Report) bool { return r.N > closed.N })
	if err != nil {
		return err
	}
	fmt.Printf("closed: %s\n", nextPlain)
	if nextPlain.Plain != *hostB {
		problems = append(problems, fmt.Sprintf("a plain open/read/close read %s once no descriptor was open, not %s", nextPlain.Plain, *hostB))
	}
	status := "(see virsh domstate)"
	if qb != nil {
		raw, err := qb.Execute(ctx, "query-status", nil)
		if err != nil {
			return err
		}
		status = strings.Join(strings.Fields(string(raw)), " ")
	}

	fmt.Printf("accelerator:                        %s\n", *accel)
	fmt.Printf("guest boot to its 20th reading:     %.1f s (host's clock, from the start of this program)\n", booted.Seconds())
	if qb != nil {
		fmt.Printf("migration total time (QMP):         %d ms\n", st.TotalTime)
		fmt.Printf("migration downtime (QMP):           %d ms\n", st.Downtime)
	} else {
		fmt.Printf("migration command's time:           %d ms (%s)\n", took.Milliseconds(), fs.Arg(0))
	}
	if qb == nil && b.firstPollHad {
		// virsh returns after the destination resumed the guest and the
		// source confirmed: the guest's reading was already there.
		fmt.Printf("migration end to guest reading B:   before %s returned\n", fs.Arg(0))
	} else {
		fmt.Printf("migration end to guest reading B:   %d ms\n", seen.Sub(ended).Milliseconds())
	}
	fmt.Printf("guest readings on A, then on B:     up to n=%d, then n=%d, boot id %s on both\n", lastA.N, after.N, before.Boot)
	fmt.Printf("O_DIRECT read after the migration:  %s\n", after.Direct)
	fmt.Printf("plain read, descriptor held open:   %s\n", after.Held)
	fmt.Printf("plain open/read/close, one held:    %s\n", after.Plain)
	fmt.Printf("plain open/read/close, none held:   %s\n", nextPlain.Plain)
	fmt.Printf("host B's QEMU after the migration:  %s\n", status)
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Println("FAIL:", p)
		}
		return errors.New("the guest did not show what it should")
	}
	fmt.Printf("PASS: the guest read %s before and %s after a live migration, without rebooting\n", *hostA, *hostB)
	return nil
}

// qmpEvidence is what QEMU says about a guest that printed nothing: its
// run state, and its devices' state where QEMU can say it (best effort:
// each query that fails says so).
func qmpEvidence(ctx context.Context, q *migrationtest.QMP) string {
	var parts []string
	for _, c := range []struct {
		cmd  string
		args any
	}{
		{"query-status", nil},
		{"human-monitor-command", map[string]any{"command-line": "info irq"}},
		{"human-monitor-command", map[string]any{"command-line": "info registers"}},
	} {
		raw, err := q.Execute(ctx, c.cmd, c.args)
		text := strings.Join(strings.Fields(string(raw)), " ")
		if err != nil {
			text = "error: " + err.Error()
		}
		if len(text) > 600 {
			text = text[:600] + "..."
		}
		what := c.cmd
		if c.args != nil {
			what = fmt.Sprint(c.args)
		}
		parts = append(parts, what+": "+text)
	}
	// The virtio devices' first queues (QEMU 7.2's x-query-virtio...):
	// a request the device holds (avail past used) is I/O stuck in QEMU;
	// none is a guest that asks for nothing.
	if raw, err := q.Execute(ctx, "x-query-virtio", nil); err == nil {
		var devs []struct {
			Path string `json:"path"`
		}
		_ = json.Unmarshal(raw, &devs)
		for _, d := range devs {
			raw, err := q.Execute(ctx, "x-query-virtio-queue-status", map[string]any{"path": d.Path, "queue": 0})
			text := strings.Join(strings.Fields(string(raw)), " ")
			if err != nil {
				text = "error: " + err.Error()
			}
			parts = append(parts, d.Path+" queue 0: "+text)
		}
	} else {
		parts = append(parts, "x-query-virtio: "+err.Error())
	}
	return strings.Join(parts, "; ")
}

// freePort prints a TCP port of 127.0.0.1 that nothing uses now, as the
// kernel picks one: the port libvirt's destination QEMU listens on. (A
// fixed port, even in libvirt's own range 49152-49215, may be some
// connection's local port at that moment.)
func freePort(w io.Writer) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer l.Close()
	_, err = fmt.Fprintln(w, l.Addr().(*net.TCPAddr).Port)
	return err
}
