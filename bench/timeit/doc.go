// Command timeit runs two shell commands in turn, N rounds each,
// interleaved so that both see the same machine, and prints the median wall
// time, CPU time and peak memory of each, then the ratio of the first to
// the second on its last line. The benchmark scripts under bench/ use it.
//
// Usage:
//
//	timeit [-n N] -a COMMAND -b COMMAND [-la LABEL] [-lb LABEL]
//
// For example:
//
//	go run ./bench/timeit -n 5 -a 'sfkvm check ...' -b 'awk ...'
//
// The flags are:
//
//	-n N
//		rounds of each command (default 5)
//	-a COMMAND
//		the first command, run with sh -c (needed)
//	-b COMMAND
//		the second command, run with sh -c (needed)
//	-la LABEL
//		the first command's label in the output (default a)
//	-lb LABEL
//		the second command's label in the output (default b)
package main
