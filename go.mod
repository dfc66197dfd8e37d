module github.com/sfkvm/sfkvm

go 1.26

require (
	github.com/aymanbagabas/go-udiff v0.4.1
	github.com/google/go-cmp v0.7.0
)

require libvirt.org/go/libvirt v1.11010.0
