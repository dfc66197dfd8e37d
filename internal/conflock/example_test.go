//go:build unix

package conflock_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sfkvm/sfkvm/internal/conflock"
)

// Two runs want to write the same kvmguests.conf: the second is refused
// while the first holds the lock, and the first writes only over the file
// it read.
func Example() {
	dir, _ := os.MkdirTemp("", "conflock")
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "kvmguests.conf")
	os.WriteFile(file, []byte("old\n"), 0o600)
	ctx := context.Background()

	first, _ := conflock.NewOwner("rotate", time.Hour)
	second, _ := conflock.NewOwner("rotate", time.Hour)
	fmt.Println(conflock.Acquire(ctx, file, first))
	fmt.Println(errors.Is(conflock.Acquire(ctx, file, second), conflock.ErrLocked))

	read := conflock.SHA256([]byte("old\n"))
	fmt.Println(conflock.Replace(ctx, file, first, []byte("new\n"), read))
	fmt.Println(errors.Is(conflock.Replace(ctx, file, first, []byte("newer\n"), read), conflock.ErrChanged))
	fmt.Println(conflock.Release(file, first))
	// Output:
	// <nil>
	// true
	// <nil>
	// true
	// <nil>
}
