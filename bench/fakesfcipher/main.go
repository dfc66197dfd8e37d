package main

import (
	"os"

	"github.com/sfkvm/sfkvm/cipher/sfciphertest"
)

func main() { os.Exit(sfciphertest.Main(sfciphertest.OK, os.Args[1:])) }
