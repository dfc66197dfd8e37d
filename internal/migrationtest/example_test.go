package migrationtest_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/sfkvm/sfkvm/internal/migrationtest"
	"github.com/sfkvm/sfkvm/migrate"
	"github.com/sfkvm/sfkvm/migrate/migratetest"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
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

func ExampleNodeHandler() {
	// What the guest's /init serves: node guest1 of a two-node cluster,
	// its disk read standing in for the real one.
	c := migratetest.New("cluster1", "guest1", "guest2")
	h := migrationtest.NodeHandler(c, "guest1", func() ([]byte, error) { return []byte("cfhostA 192.0.2.1\n"), nil })
	run := func(args ...string) string {
		return h(sshtest.Command{User: "sfkvmop", Sudo: true, Args: args}).Stdout
	}
	fmt.Print(run("sh", "-c", migratesetup.GuestReadCommand))
	fmt.Print(run(migrate.DefaultCFTool, "-c"))
	fmt.Println(strings.Count(run(migrate.DefaultCFTool, "-n"), " UP "))
	// Output:
	// cfhostA 192.0.2.1
	// cluster1
	// 2
}

func ExampleParseGuestConfig() {
	_, addr, err := migrationtest.ParseGuestConfig([]byte(`{"address":"10.77.0.10/24","user":"sfkvmop","password":"x","node":"guest1","cluster":"cluster1","nodes":["guest1","guest2"]}`))
	fmt.Println(addr, err)
	_, _, err = migrationtest.ParseGuestConfig([]byte(`{"address":"10.77.0.10"}`))
	fmt.Println(err)
	// Output:
	// 10.77.0.10/24 <nil>
	// /etc/sfkvm-guest.json: address "10.77.0.10": want an IPv4 address/prefix
}
