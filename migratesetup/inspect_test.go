package migratesetup

import (
	"errors"
	"testing"
)

// HasHostInfoDisk answers what AddHostInfoDisk would find, and never
// edits: before the set-up not set up, after it set up with the disk's
// target, a conflicting disk the same refusal as the edit's.
func TestHasHostInfoDisk(t *testing.T) {
	before := domainWithDisks("vda")
	if in, err := HasHostInfoDisk(before, hostinfoPath); err != nil || in.SetUp || in.Target != "" {
		t.Errorf("before set-up: %+v, %v", in, err)
	}
	e, err := AddHostInfoDisk(before, hostinfoPath)
	if err != nil {
		t.Fatal(err)
	}
	if in, err := HasHostInfoDisk(e.XML, hostinfoPath); err != nil || !in.SetUp || in.Target != "vdb" {
		t.Errorf("after set-up: %+v, %v", in, err)
	}
	if _, err := HasHostInfoDisk(e.XML, "/srv/other/hostinfo"); !errors.Is(err, ErrConflictingDisk) {
		t.Errorf("another source: %v, want ErrConflictingDisk", err)
	}
	if _, err := HasHostInfoDisk("<network/>", hostinfoPath); !errors.Is(err, ErrNotDomain) {
		t.Errorf("not a domain: %v, want ErrNotDomain", err)
	}
	if _, err := HasHostInfoDisk(before, "relative/hostinfo"); err == nil {
		t.Error("a relative path was accepted")
	}
}
