module github.com/sfkvm/sfkvm

go 1.26

require (
	github.com/aymanbagabas/go-udiff v0.4.1 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/google/renameio/v2 v2.0.2 // indirect
	libvirt.org/go/libvirt v1.11010.0 // indirect
	libvirt.org/go/libvirtxml v1.12008.0 // indirect
)
