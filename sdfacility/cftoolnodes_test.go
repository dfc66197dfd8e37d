package sdfacility

import (
	"errors"
	"testing"
)

func TestParseNodes(t *testing.T) {
	out := "Node        Number State       Os      Cpu\n" +
		"fuji2       1      UP          Linux   EM64T\n\n" +
		"fuji3       2      LEFTCLUSTER Linux   EM64T\n"
	nodes, err := ParseNodes([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 2 || nodes[0] != (NodeState{"fuji2", 1, "UP"}) || nodes[1] != (NodeState{"fuji3", 2, "LEFTCLUSTER"}) {
		t.Fatalf("got %+v", nodes)
	}
	if !nodes[0].Up() || nodes[1].Up() {
		t.Fatalf("Up: %+v", nodes)
	}
	for _, bad := range []string{"", "Node Number State\n", "fuji2 one UP\n", "fuji2 1\n", "fuji 2 1 up\n", "fu/ji 1 UP\n"} {
		if _, err := ParseNodes([]byte(bad)); !errors.Is(err, ErrUnrecognised) {
			t.Errorf("%q: %v, want ErrUnrecognised", bad, err)
		}
	}
}
