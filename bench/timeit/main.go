package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

type sample struct {
	wall, cpu time.Duration
	maxRSS    int64 // KiB
}

func main() {
	n := flag.Int("n", 5, "rounds")
	a := flag.String("a", "", "first command (sh -c)")
	b := flag.String("b", "", "second command (sh -c)")
	la := flag.String("la", "a", "label of the first command")
	lb := flag.String("lb", "b", "label of the second command")
	flag.Parse()
	if *a == "" || *b == "" {
		flag.Usage()
		os.Exit(2)
	}
	var sa, sb []sample
	for i := 0; i < *n; i++ {
		sa = append(sa, measure(*a))
		sb = append(sb, measure(*b))
	}
	ma, mb := median(sa), median(sb)
	fmt.Printf("%-10s wall %8.1f ms  cpu %8.1f ms  peak RSS %7.1f MiB  (median of %d)\n", *la, ms(ma.wall), ms(ma.cpu), float64(ma.maxRSS)/1024, *n)
	fmt.Printf("%-10s wall %8.1f ms  cpu %8.1f ms  peak RSS %7.1f MiB  (median of %d)\n", *lb, ms(mb.wall), ms(mb.cpu), float64(mb.maxRSS)/1024, *n)
	fmt.Printf("ratio %s/%s: wall %.3f cpu %.3f\n", *la, *lb, ms(ma.wall)/ms(mb.wall), ms(ma.cpu)/ms(mb.cpu))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func measure(command string) sample {
	cmd := exec.Command("sh", "-c", command)
	cmd.Stdout, cmd.Stderr = nil, os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			fmt.Fprintln(os.Stderr, "timeit:", err)
			os.Exit(1)
		}
	}
	wall := time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return sample{wall: wall, cpu: cpu, maxRSS: ru.Maxrss}
}

func median(s []sample) sample {
	pick := func(f func(sample) int64) int64 {
		v := make([]int64, len(s))
		for i, x := range s {
			v[i] = f(x)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return sample{
		wall:   time.Duration(pick(func(x sample) int64 { return int64(x.wall) })),
		cpu:    time.Duration(pick(func(x sample) int64 { return int64(x.cpu) })),
		maxRSS: pick(func(x sample) int64 { return x.maxRSS }),
	}
}
