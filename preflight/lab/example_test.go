package lab_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

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

// A lab that other processes use: WriteFiles leaves in its folder the
// routes, the key, the other host's password and the tools that the
// commands' flags name (sfkvm demo --keep prints them).
func ExampleLab_WriteFiles() {
	dir, _ := os.MkdirTemp("", "lab-example-")
	defer os.RemoveAll(dir)
	l, err := lab.Start(context.Background(), dir, io.Discard)
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	files, err := l.WriteFiles(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	routes, err := lab.ReadRoutes(files.Routes) // in the other process
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(routes), "routes; guest11's as the lab's:", routes["192.0.2.11:22"] == l.Routes["192.0.2.11:22"])
	fmt.Println(filepath.Base(files.Key), filepath.Base(files.SDTool), filepath.Base(files.CFTool))
	// Output:
	// 6 routes; guest11's as the lab's: true
	// sfkvm.key sdtool cftool
}
