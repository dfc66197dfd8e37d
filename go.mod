module github.com/sfkvm/sfkvm

go 1.26.0

require (
	github.com/skeema/knownhosts v1.3.3 // indirect
	golang.org/x/crypto v0.59.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)
