package table_test

import (
	"fmt"
	"os"

	"github.com/sfkvm/sfkvm/internal/table"
)

func ExampleWrite() {
	// The rows stay aligned after a row's fix and detail lines.
	table.Write(os.Stdout, []string{"CHECK", "TARGET", "STATUS"}, []table.Row{
		{Cells: []string{"guest.sudo", "guest12", "FAIL"}, Fix: "add NOPASSWD", Detail: "sudo: a password is required"},
		{Cells: []string{"guest.login", "guest11", "OK"}},
	}, "2 rows")
	// Output:
	// CHECK        TARGET   STATUS
	// guest.sudo   guest12  FAIL
	//                         fix: add NOPASSWD
	//       | sudo: a password is required
	// guest.login  guest11  OK
	// 2 rows
}

func ExampleCell() {
	// A guest name from kvmguests.conf that would clear the screen, and a
	// remote message on two lines.
	fmt.Println(table.Cell("guest1\x1b[2J"))
	fmt.Println(table.Cell("sudo: a password\n  is required"))
	// Output:
	// guest1\x1b[2J
	// sudo: a password is required
}
