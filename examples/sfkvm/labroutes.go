package main

import (
	"errors"
	"flag"

	"github.com/sfkvm/sfkvm/preflight/lab"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// labRoutesFlag is --lab-routes, which points probe, preflight and rotate
// at the lab that `sfkvm demo --keep` keeps running: its guests and its
// other host are at documentation addresses (192.0.2.0/24) that no real
// host has, served on 127.0.0.1.
func labRoutesFlag(fs *flag.FlagSet) *string {
	return fs.String("lab-routes", "", "for sfkvm demo --keep only: the kept lab's routes `file`, which sends its 192.0.2.x addresses to its servers on 127.0.0.1 (refused unless every route goes from 192.0.2.0/24 to 127.0.0.0/8)")
}

// useLabRoutes makes opts dial through the routes file at path (nothing
// when path is empty). The file is opened as a secret is (a regular file,
// root's or the caller's, no group or other bits: 77, missing 66), and a
// route outside 192.0.2.0/24 -> 127.0.0.0/8 refuses the whole file (65).
func useLabRoutes(path string, opts *sshcheck.Options) (int, error) {
	if path == "" {
		return exitOK, nil
	}
	routes, err := lab.ReadRoutes(path)
	switch {
	case errors.Is(err, lab.ErrRoute):
		return exitConfig, err
	case err != nil:
		return secretFileExit(err), err
	}
	opts.DialContext = routes.DialContext
	return exitOK, nil
}
