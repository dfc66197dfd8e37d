package migratesetuptest_test

import (
	"context"
	"testing"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/migratesetuptest"
)

// The live definition is what the domain was started with: a Define while
// it runs changes only the persistent one, SetLiveXML only the live one,
// and a domain that is off gives its persistent one, as libvirt does.
func TestLiveXML(t *testing.T) {
	ctx := context.Background()
	s := migratesetuptest.New(map[string]*migratesetuptest.Domain{
		"g": {XML: "<domain><name>g</name><v>1</v></domain>", State: migratesetup.StateShutoff},
	})
	live := func() string {
		t.Helper()
		x, err := s.LiveXML(ctx, "g")
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	if err := s.SetLiveXML("g", "x"); err == nil {
		t.Error("SetLiveXML of a shut-off domain worked")
	}
	if err := s.Start(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	if err := s.Define(ctx, "<domain><name>g</name><v>2</v></domain>"); err != nil {
		t.Fatal(err)
	}
	if got := live(); got != "<domain><name>g</name><v>1</v></domain>" {
		t.Errorf("live after a define while running: %s", got)
	}
	if err := s.SetLiveXML("g", "<domain><name>g</name><v>3</v></domain>"); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.InactiveXML(ctx, "g"); live() != "<domain><name>g</name><v>3</v></domain>" || p != "<domain><name>g</name><v>2</v></domain>" {
		t.Errorf("live %s, persistent %s", live(), p)
	}
	if err := s.Destroy(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	if got := live(); got != "<domain><name>g</name><v>2</v></domain>" {
		t.Errorf("live of a shut-off domain: %s", got)
	}
	if _, err := s.LiveXML(ctx, "none"); err == nil {
		t.Error("LiveXML of an unknown domain worked")
	}
}
