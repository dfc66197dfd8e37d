package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: blackhole ADDR:PORT...")
		os.Exit(2)
	}
	held := map[net.Conn]bool{} // referenced so that they stay open, never read
	conns := make(chan net.Conn)
	for _, a := range os.Args[1:] {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			fmt.Fprintln(os.Stderr, "blackhole:", err)
			os.Exit(1)
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				conns <- c
			}
		}()
	}
	fmt.Println("ready")
	for c := range conns {
		held[c] = true
	}
}
