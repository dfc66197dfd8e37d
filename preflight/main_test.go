package preflight_test

import (
	"testing"

	"github.com/sfkvm/sfkvm/internal/testenv"
)

// TestMain gives the binary a temporary folder of its own, removed by the
// next run when this one is killed (go test -timeout runs no cleanup).
func TestMain(m *testing.M) { testenv.Main(m) }
