//go:build !unix

package migrate

import "errors"

func lockCluster(dir, cluster string) (func(), error) {
	return nil, errors.New("migrate: cluster locks need flock(2), a Unix system call")
}
