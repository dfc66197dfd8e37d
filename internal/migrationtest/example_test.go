package migrationtest_test

import (
	"bytes"
	"fmt"

	"github.com/sfkvm/sfkvm/internal/migrationtest"
)

func ExampleParseReport() {
	// A line from the guest's console after the migration.
	r, ok := migrationtest.ParseReport("SFKVM n=14 boot=e809 direct=cfhostB held=cfhostA plain=cfhostA\r\n")
	fmt.Println(ok, r.N, r.Direct, r.Held)
	_, ok = migrationtest.ParseReport("[    1.2] virtio_blk virtio1: [vda] 1 512-byte logical blocks")
	fmt.Println(ok)
	// Output:
	// true 14 cfhostB cfhostA
	// false
}

func ExampleCPIO() {
	var buf bytes.Buffer
	c := migrationtest.NewCPIO(&buf)
	_ = c.Dir("dev", 0o755)
	_ = c.File("init", 0o755, []byte("\x7fELF..."))
	_ = c.Close()
	fmt.Println(buf.Len()%4, string(buf.Bytes()[:6]), bytes.Contains(buf.Bytes(), []byte("TRAILER!!!\x00")))
	// Output: 0 070701 true
}
