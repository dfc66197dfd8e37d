package lab_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/preflight/lab"
)

func ExampleNew() {
	dir, _ := os.MkdirTemp("", "lab-example-")
	defer os.RemoveAll(dir)
	l, err := lab.New(dir, lab.Down("guest12"))
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	if err := l.Prepare(context.Background(), io.Discard); err != nil {
		log.Fatal(err)
	}
	rep := preflight.Run(context.Background(), l.Config())
	for _, r := range rep.Of(preflight.GuestHostKey.ID) {
		fmt.Println(r.Target, r.Status)
	}
	fmt.Println(l.StoreName)
	// Output:
	// guest11 192.0.2.11 OK
	// guest12 192.0.2.12 FAIL
	// guest21 192.0.2.21 OK
	// guest22 192.0.2.22 OK
	// an in-memory store
}
