package libvirtstore

import "errors"

// ErrNoLibvirt is what Open returns in a program built without cgo
// (CGO_ENABLED=0): libvirt's binding is C, so such a build has no libvirt
// at all. errors.Is(err, ErrNoLibvirt) tells this apart from a libvirt
// that cannot be reached, so a command can say "rebuild" instead of
// "start libvirtd". Only the no-cgo build returns it.
var ErrNoLibvirt = errors.New("built without libvirt (CGO_ENABLED=0): build with cgo and libvirt's headers (Debian: libvirt-dev pkg-config), or with cgo and -tags libvirt_dlopen and only libvirt0 at run time")
