package preflight

import (
	"testing"

	"github.com/sfkvm/sfkvm/kvmguests"
)

// Another host's copy is read up to the parser's own limit unless the
// caller caps it lower.
func TestMaxCopyDefault(t *testing.T) {
	if got := (Config{}).maxCopy(); got != kvmguests.MaxSize {
		t.Errorf("default cap %d, want kvmguests.MaxSize %d", got, kvmguests.MaxSize)
	}
	if got := (Config{MaxCopy: 4096}).maxCopy(); got != 4096 {
		t.Errorf("cap %d, want the 4096 given", got)
	}
}
