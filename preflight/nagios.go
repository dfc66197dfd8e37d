package preflight

import (
	"fmt"
	"io"
	"strings"
)

// The plugin return codes of the Monitoring Plugins development
// guidelines, which Nagios, Icinga and Zabbix's external checks read.
const (
	PluginOK       = 0
	PluginWarning  = 1
	PluginCritical = 2
	PluginUnknown  = 3
)

// pluginStates are the service states by return code.
var pluginStates = [...]string{"OK", "WARNING", "CRITICAL", "UNKNOWN"}

// pluginShown is how many FAIL or WARN results the status line names;
// every one is on a line of the long output.
const pluginShown = 3

// WritePlugin writes the report as a monitoring plugin's output and
// returns the plugin's return code: CRITICAL (2) when a result FAILs,
// WARNING (1) when one WARNs, OK (0) otherwise (SKIPs included: they say
// what could not be checked, in the counts). The first line is the status
// and the performance data,
//
//	SFKVM PREFLIGHT CRITICAL - 1 FAIL, 1 WARN: guest.sudo guest12 10.0.0.12 | ok=29;;;0 warn=1;0;;0 fail=1;;0;0 skip=4;;;0 duration=1.204s;;;0
//
// naming the first FAIL (else WARN) results by check and target; then one
// line per FAIL and WARN result, "FAIL guest.sudo guest12 10.0.0.12: REASON",
// the long output that Icinga shows under the status. The warn and fail
// figures carry the thresholds that make the state (any WARN warns, any
// FAIL is critical). No text holds "|", a control character or a line
// break: they would end the text or the line.
func (r Report) WritePlugin(w io.Writer) (int, error) {
	code := PluginOK
	var bad []Result
	for _, want := range []Status{Fail, Warn} {
		for _, x := range r.Results {
			if x.Status == want {
				bad = append(bad, x)
			}
		}
	}
	c := r.Counts
	var summary string
	switch {
	case c.Fail > 0:
		code = PluginCritical
		summary = fmt.Sprintf("%d FAIL, %d WARN", c.Fail, c.Warn)
	case c.Warn > 0:
		code = PluginWarning
		summary = fmt.Sprintf("%d WARN", c.Warn)
	default:
		summary = fmt.Sprintf("%d OK, %d SKIP", c.OK, c.Skip)
	}
	if len(bad) > 0 {
		var names []string
		for i, x := range bad {
			if i == pluginShown {
				names = append(names, fmt.Sprintf("and %d more", len(bad)-i))
				break
			}
			names = append(names, string(x.Check)+" "+x.Target)
		}
		summary += ": " + strings.Join(names, "; ")
	}
	perf := fmt.Sprintf("ok=%d;;;0 warn=%d;0;;0 fail=%d;;0;0 skip=%d;;;0 duration=%.3fs;;;0",
		c.OK, c.Warn, c.Fail, c.Skip, r.Duration().Seconds())
	var b strings.Builder
	fmt.Fprintf(&b, "SFKVM PREFLIGHT %s - %s | %s\n", pluginStates[code], pluginText(summary), perf)
	for _, x := range bad {
		fmt.Fprintf(&b, "%s %s %s: %s\n", x.Status, x.Check, pluginText(x.Target), pluginText(x.Reason))
	}
	_, err := io.WriteString(w, b.String())
	return code, err
}

// WritePluginUnknown writes the status line of a run that could not be
// made (a usage error, an unreadable key) and returns PluginUnknown.
func WritePluginUnknown(w io.Writer, why string) (int, error) {
	_, err := fmt.Fprintf(w, "SFKVM PREFLIGHT UNKNOWN - %s\n", pluginText(why))
	return PluginUnknown, err
}

// pluginText keeps text on one line, without the "|" that starts the
// performance data or a control character.
func pluginText(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '|':
			return '/'
		case r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
