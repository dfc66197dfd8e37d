package sdfacility

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sfkvm/sfkvm/diag"
	"github.com/sfkvm/sfkvm/internal/jsonwire"
	"github.com/sfkvm/sfkvm/internal/namerule"
	"github.com/sfkvm/sfkvm/internal/safefile"
)

// DefaultConfigPath is the shutdown facility's configuration, identical on
// every node of the cluster.
const DefaultConfigPath = "/etc/opt/SMAW/SMAWsf/rcsd.cfg"

// maxConfigSize bounds what ParseConfig reads: a real rcsd.cfg is a few
// lines, and a bound keeps a wrong file from filling memory.
const maxConfigSize = 1 << 20

// Config is rcsd.cfg: one node per line, each with its weight, its admin IP
// and its shutdown agents in the order they are tried.
type Config struct {
	Nodes []NodeConfig `json:"nodes"`
	// Diagnostics holds every problem found, warnings included.
	Diagnostics diag.Diagnostics `json:"diagnostics,omitempty"`
}

// NodeConfig is one line: node[,weight=W][,admIP=IP]:agent=SA,timeout=T...
type NodeConfig struct {
	Name    string        `json:"name"`
	Weight  int           `json:"weight"`            // 1 when the line gives none
	AdminIP AdminHost     `json:"admin_ip,omitzero"` // an address or a host name; invalid (zero) when the line gives none
	Agents  []AgentConfig `json:"agents"`
	Line    int           `json:"line"`
}

// AgentConfig is one agent=SA,timeout=T clause. Its JSON is
// {"name": "SA_mmbp", "timeout_seconds": 20}: durations are seconds.
type AgentConfig struct {
	Name    string
	Timeout time.Duration // written in whole seconds
}

// wireAgent is an AgentConfig as JSON.
type wireAgent struct {
	Name           string  `json:"name"`
	TimeoutSeconds float64 `json:"timeout_seconds"`
}

// MarshalJSON writes the timeout as a number of seconds.
func (a AgentConfig) MarshalJSON() ([]byte, error) {
	return jsonwire.Marshal(wireAgent{a.Name, a.Timeout.Seconds()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (a *AgentConfig) UnmarshalJSON(b []byte) error {
	var w wireAgent
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*a = AgentConfig{Name: w.Name, Timeout: time.Duration(w.TimeoutSeconds * float64(time.Second))}
	return nil
}

// Node returns the node called name, if the configuration has it.
func (c *Config) Node(name string) (NodeConfig, bool) {
	for _, n := range c.Nodes {
		if n.Name == name {
			return n, true
		}
	}
	return NodeConfig{}, false
}

// ReadConfigFile reads and parses the file at path (DefaultConfigPath on a
// node). Only a regular file is read, opened without blocking: a FIFO or a
// device in its place is refused ("is not a regular file (a FIFO)"), not
// read. An error opening it names the path and matches the file system's
// error (errors.Is(err, fs.ErrNotExist)). As kvmguests.ReadFile, it needs
// Unix (elsewhere errors.ErrUnsupported); ParseConfig reads anywhere.
func ReadConfigFile(path string) (*Config, error) {
	f, err := safefile.OpenRegular(path, false)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseConfig(f, path)
}

// ParseConfig reads rcsd.cfg from r; name is the file name that the
// diagnostics carry. It collects every problem rather than stopping at the
// first: the Config holds every line it could read and all diagnostics, and
// the error holds the errors among them (Diagnostics.Err: warnings stay in
// Config.Diagnostics only), or is a read error. It never panics on any input. The codes are listed in
// the package documentation.
func ParseConfig(r io.Reader, name string) (*Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := configParser{file: name, cfg: &Config{}, seen: map[string]int{}}
	p.parse(data)
	p.cfg.Diagnostics.Sort()
	return p.cfg, p.cfg.Diagnostics.Err()
}

type configParser struct {
	file string
	cfg  *Config
	seen map[string]int // node name -> line
}

func (p *configParser) add(line, col int, field string, code diag.Code, sev diag.Severity, format string, args ...any) {
	p.cfg.Diagnostics = append(p.cfg.Diagnostics, diag.Diagnostic{
		File: p.file, Line: line, Column: col, Field: field, Code: code, Severity: sev,
		Message: fmt.Sprintf(format, args...),
	})
}

func (p *configParser) parse(data []byte) {
	if len(data) > maxConfigSize {
		p.add(1, 1, "", CodeTooLarge, diag.Error, "file is larger than %d bytes; not a shutdown facility configuration", maxConfigSize)
		return
	}
	if len(data) == 0 {
		p.add(1, 1, "", CodeNoNodes, diag.Error, "file is empty: no node line")
		return
	}
	lines := bytes.Split(data, []byte("\n"))
	last := len(lines)
	if len(lines[last-1]) == 0 {
		last-- // the text after the final newline
	} else {
		p.add(last, len(lines[last-1])+1, "", CodeNoFinalNewline, diag.Warning, "the last line does not end with a newline")
	}
	for i := 0; i < last; i++ {
		p.line(i+1, string(lines[i]))
	}
	if len(p.cfg.Nodes) == 0 && !p.cfg.Diagnostics.HasErrors() {
		p.add(1, 1, "", CodeNoNodes, diag.Error, "no node line")
	}
}

// span is a piece of a line with the 1-based column where it starts.
type span struct {
	text string
	col  int
}

func (p *configParser) line(n int, line string) {
	if strings.HasSuffix(line, "\r") {
		p.add(n, len(line), "", CodeCR, diag.Error, "carriage return (CR) at the end of the line; lines end with LF only")
		line = strings.TrimSuffix(line, "\r")
	}
	trimmed := strings.TrimLeft(line, " \t")
	switch {
	case strings.TrimSpace(line) == "":
		p.add(n, 1, "", CodeBlankLine, diag.Warning, "blank line")
		return
	case strings.HasPrefix(trimmed, "#"):
		p.add(n, len(line)-len(trimmed)+1, "", CodeComment, diag.Warning, "comment line; whether sdtool accepts comments is not documented")
		return
	}
	for i := 0; i < len(line); i++ {
		if c := line[i]; c < 0x20 && c != '\t' || c >= 0x7f {
			p.add(n, i+1, "", CodeBadChar, diag.Error, "byte 0x%02x is not a printable ASCII character; line skipped", c)
			return
		}
	}
	start := len(line) - len(trimmed)
	body := strings.TrimRight(trimmed, " \t")
	if start > 0 {
		p.add(n, 1, "", CodeWhitespace, diag.Warning, "leading white space")
	}
	if len(body) < len(trimmed) {
		p.add(n, start+len(body)+1, "", CodeWhitespace, diag.Warning, "trailing white space")
	}
	segs := splitClauses(span{body, start + 1})
	node := p.nodePart(n, segs[0])
	if len(segs) == 1 && node.Name != "" {
		p.add(n, start+len(body)+1, "agent", CodeNoAgent, diag.Error, "node %s has no shutdown agent (want %s:agent=SA,timeout=T)", node.Name, node.Name)
	}
	for _, s := range segs[1:] {
		if a, ok := p.agentClause(n, s); ok {
			dup := false
			for _, b := range node.Agents {
				dup = dup || b.Name == a.Name
			}
			if dup {
				p.add(n, s.col, "agent", CodeDuplicateAgent, diag.Error, "agent %s listed twice for node %s", a.Name, node.Name)
				continue
			}
			node.Agents = append(node.Agents, a)
		}
	}
	if node.Name == "" {
		return // reported by nodePart; the clauses were still checked
	}
	if first, dup := p.seen[node.Name]; dup {
		p.add(n, segs[0].col, "node", CodeDuplicateNode, diag.Error, "node %s already configured at line %d", node.Name, first)
		return
	}
	p.seen[node.Name] = n
	p.cfg.Nodes = append(p.cfg.Nodes, node)
}

// splitClauses cuts a line into the node part and the agent clauses. The
// node part ends at the first ':' followed by a word and '=' (or by
// nothing, or a comma), so that the colons of an IPv6 admIP stay in it: in
// IPv6 text a colon is never followed by a word and '='. After it, every
// ':' starts a clause, so that an empty clause ("::") is seen.
func splitClauses(s span) []span {
	for i := 0; i < len(s.text); i++ {
		if s.text[i] == ':' && startsClause(s.text[i+1:]) {
			out := []span{{s.text[:i], s.col}}
			from := i + 1
			for j := from; j <= len(s.text); j++ {
				if j == len(s.text) || s.text[j] == ':' {
					out = append(out, span{s.text[from:j], s.col + from})
					from = j + 1
				}
			}
			return out
		}
	}
	return []span{s}
}

// startsClause: rest is empty or starts with ',' (an empty clause), or
// starts with a word followed by '='.
func startsClause(rest string) bool {
	if rest == "" || rest[0] == ',' {
		return true
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c == '=':
			return i > 0
		case !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9'):
			return false
		}
	}
	return false
}

// splitComma cuts s at each comma, keeping columns.
func splitComma(s span) []span {
	var out []span
	from := 0
	for i := 0; i <= len(s.text); i++ {
		if i == len(s.text) || s.text[i] == ',' {
			out = append(out, span{s.text[from:i], s.col + from})
			from = i + 1
		}
	}
	return out
}

func (p *configParser) nodePart(n int, s span) NodeConfig {
	parts := splitComma(s)
	node := NodeConfig{Name: parts[0].text, Weight: 1, Line: n}
	switch {
	case node.Name == "":
		p.add(n, parts[0].col, "node", CodeEmptyNode, diag.Error, "no node name before %s", excerpt(s.text, 40))
		return NodeConfig{}
	case strings.ContainsAny(node.Name, " \t=:"):
		p.add(n, parts[0].col, "node", CodeNodeName, diag.Error, "node name %q contains white space, '=' or ':'", node.Name)
		return NodeConfig{}
	}
	for _, d := range namerule.Check("node name", node.Name, namerule.MaxCFName) {
		p.add(n, parts[0].col+d.Column-1, "node", d.Code, d.Severity, "%s", d.Message)
	}
	given := map[string]bool{}
	for _, opt := range parts[1:] {
		key, val, ok := strings.Cut(opt.text, "=")
		vcol := opt.col + len(key) + 1
		if !ok {
			p.add(n, opt.col, "node", CodeBadOption, diag.Error, "node option %q is not key=value", opt.text)
			continue
		}
		if key == "admnIP" {
			// The 4.5 guide's syntax line spells it so; its examples,
			// and the other guides, write admIP.
			p.add(n, opt.col, "admIP", CodeAdmnIP, diag.Warning, "admnIP read as admIP: the 4.5 guide's syntax line spells it so, the 4.3 and 4.7 guides write admIP")
			key = "admIP"
		}
		if given[key] {
			p.add(n, opt.col, key, CodeDuplicateOption, diag.Error, "%s given twice for node %s", key, node.Name)
			continue
		}
		given[key] = true
		switch key {
		case "weight":
			w, err := strconv.Atoi(val)
			if err != nil || w < 1 || strings.HasPrefix(val, "+") {
				p.add(n, vcol, "weight", CodeBadWeight, diag.Error, "weight %q is not a whole number of at least 1", val)
				continue
			}
			node.Weight = w
		case "admIP":
			h, err := ParseAdminHost(val)
			if err != nil {
				p.add(n, vcol, "admIP", CodeBadAdmIP, diag.Error, "admIP %s is neither an IP address nor a host name: %s", excerpt(val, 80), hostNameProblem(val))
				continue
			}
			if ip := h.Addr(); ip.IsUnspecified() || ip.IsLoopback() || ip.IsMulticast() {
				p.add(n, vcol, "admIP", CodeAdmIPScope, diag.Warning, "admIP %s is unspecified, loopback or multicast: other nodes cannot reach it", ip)
			}
			node.AdminIP = h
		default:
			p.add(n, opt.col, key, CodeUnknownOption, diag.Error, "unknown node option %q (want weight= or admIP=)", key)
		}
	}
	return node
}

func (p *configParser) agentClause(n int, s span) (AgentConfig, bool) {
	if s.text == "" {
		p.add(n, s.col, "agent", CodeEmptyClause, diag.Error, "empty agent clause (want agent=SA,timeout=T)")
		return AgentConfig{}, false
	}
	var a AgentConfig
	ok := true
	var keys []string
	for _, kv := range splitComma(s) {
		key, val, hasEq := strings.Cut(kv.text, "=")
		vcol := kv.col + len(key) + 1
		if !hasEq {
			p.add(n, kv.col, "agent", CodeBadClause, diag.Error, "%q is not key=value (want agent=SA,timeout=T)", kv.text)
			ok = false
			continue
		}
		if slicesContains(keys, key) {
			p.add(n, kv.col, key, CodeDuplicateKey, diag.Error, "%s given twice in one agent clause", key)
			ok = false
			continue
		}
		keys = append(keys, key)
		switch key {
		case "agent":
			a.Name = val
			switch {
			case val == "" || strings.ContainsAny(val, " \t="):
				p.add(n, vcol, "agent", CodeMissingAgent, diag.Error, "agent name %q is empty or contains white space or '='", val)
				ok = false
			case !strings.HasPrefix(val, "SA_") || !namerule.IsName(val):
				p.add(n, vcol, "agent", CodeAgentName, diag.Warning, "agent name %q does not look like a shutdown agent (SA_ followed by [A-Za-z0-9_.-])", val)
			}
		case "timeout":
			t, err := strconv.Atoi(val)
			if err != nil || t < 1 || strings.HasPrefix(val, "+") || t > 1<<30 {
				p.add(n, vcol, "timeout", CodeBadTimeout, diag.Error, "timeout %q is not a whole number of seconds of at least 1", val)
				ok = false
				continue
			}
			a.Timeout = time.Duration(t) * time.Second
		default:
			p.add(n, kv.col, key, CodeUnknownKey, diag.Error, "unknown agent key %q (want agent= and timeout=)", key)
			ok = false
		}
	}
	if !slicesContains(keys, "agent") {
		p.add(n, s.col, "agent", CodeMissingAgent, diag.Error, "agent clause without agent=")
		ok = false
	}
	if !slicesContains(keys, "timeout") {
		p.add(n, s.col, "timeout", CodeMissingTimeout, diag.Error, "agent clause without timeout=")
		ok = false
	}
	if ok && keys[0] != "agent" {
		p.add(n, s.col, "agent", CodeClauseOrder, diag.Warning, "timeout= before agent=; the documented order is agent=SA,timeout=T")
	}
	return a, ok
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Marshal writes c in rcsd.cfg syntax, one line per node, every weight
// written out. It is the inverse of ParseConfig for a Config without
// errors: parsing its output gives the same nodes.
func (c *Config) Marshal() []byte {
	var b bytes.Buffer
	for _, n := range c.Nodes {
		fmt.Fprintf(&b, "%s,weight=%d", n.Name, n.Weight)
		if n.AdminIP.IsValid() {
			fmt.Fprintf(&b, ",admIP=%s", n.AdminIP)
		}
		for _, a := range n.Agents {
			fmt.Fprintf(&b, ":agent=%s,timeout=%d", a.Name, int64(a.Timeout/time.Second))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}
