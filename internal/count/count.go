package count

import "strconv"

// N is n followed by one (n == 1) or many: N(1, "guest", "guests").
func N(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// All is "all N things", or "the one thing" when there is one:
// All(1, "host", "hosts") is "the one host".
func All(n int, one, many string) string {
	if n == 1 {
		return "the one " + one
	}
	return "all " + N(n, one, many)
}
