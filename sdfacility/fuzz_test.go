package sdfacility_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/sdfacility"
)

// FuzzParseStatus: no panic; every row read keeps six non-empty words from
// its own line; every diagnostic points inside the output; Running only
// with at least one row.
func FuzzParseStatus(f *testing.F) {
	f.Add([]byte(readyTable))
	f.Add([]byte("Cluster Host Agent\n---\nn a b c d e f\n"))
	f.Add([]byte("sdtool: the shutdown daemon is not running\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		st := sdfacility.ParseStatus(out)
		lines := strings.Split(string(out), "\n")
		for _, a := range st.Agents {
			if a.Line < 1 || a.Line > len(lines) {
				t.Fatalf("row at line %d of %d", a.Line, len(lines))
			}
			for _, w := range []string{a.Node, a.Agent, string(a.SAState), string(a.ShutState), string(a.TestState), string(a.InitState)} {
				if w == "" || !strings.Contains(lines[a.Line-1], w) {
					t.Fatalf("word %q not from line %d %q", w, a.Line, lines[a.Line-1])
				}
			}
		}
		for _, d := range st.Problems {
			if d.Line < 1 || d.Line > len(lines) || d.Column < 1 {
				t.Fatalf("diagnostic outside the output: %v", d)
			}
		}
		if st.Running && len(st.Agents) == 0 && !st.Problems.HasErrors() {
			t.Fatal("running without a row")
		}
	})
}

var cfName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// FuzzParseCFTool: no panic; a name returned is a CF name taken from the
// output; a refusal keeps the raw text.
func FuzzParseCFTool(f *testing.F) {
	f.Add([]byte("Node    Number State       Os      Cpu\ncfhost1 1      UP          Linux   EM64T\n"))
	f.Add([]byte("cluster1\n"))
	f.Add([]byte("cftool: CF is not running\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		for _, parse := range []func([]byte) (string, error){sdfacility.ParseLocalNodeName, sdfacility.ParseClusterName} {
			name, err := parse(out)
			if err == nil && (!cfName.MatchString(name) || !bytes.Contains(out, []byte(name))) {
				t.Fatalf("name %q from %q", name, out)
			}
			if ue, ok := err.(*sdfacility.UnrecognisedError); err != nil && (!ok || ue.Raw != string(out)) {
				t.Fatalf("error %v does not keep the raw text", err)
			}
		}
	})
}
