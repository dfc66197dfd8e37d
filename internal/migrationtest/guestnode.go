package migrationtest

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/sfkvm/sfkvm/migrate/migratetest"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/sdfacility/sdtest"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// ClusterConfig is the /etc/default/cluster.config that the migration
// test's guest has in its initramfs and its in-process peer in a file:
// package migratetest's real-looking one for the cluster.
func ClusterConfig(cluster string) string {
	return fmt.Sprintf(migratetest.InitialConfig, cluster)
}

// NodeHandler answers over SSH (an sshtest.Handler) what sfkvm sends to a
// node of the migration test's guest cluster: the read of the host
// information disk (migratesetup.GuestReadCommand), answered by disk (the
// guest's real disk, read with O_DIRECT; a file for the in-process peer);
// cftool -n, sdtool -s/-e/-b, cfset -r/-a, cluster.config's read and
// atomic write and the cluster's lock (migrate.LockScript: held until the
// session's input ends) by package migratetest's simulation of node
// cfname in cluster; and cftool -l and -c (what preflight's guest.names asks) as
// package sdtest answers them. Each process holds its own cluster: the
// other node is always UP there, as it is in the test.
func NodeHandler(cluster *migratetest.Cluster, cfname string, disk func() ([]byte, error)) sshtest.Handler {
	names := sdtest.New(sdtest.Config{LocalNode: cfname, Cluster: cluster.Name})
	next := func(c sshtest.Command) sshtest.Reply {
		if len(c.Args) == 2 && path.Base(c.Args[0]) == "cftool" && (c.Args[1] == "-l" || c.Args[1] == "-c") {
			out, errOut, code, err := names.Run(context.Background(), c.Args[0], c.Args[1])
			if err != nil {
				return sshtest.NotFound(c.Args[0])
			}
			return sshtest.Reply{Stdout: string(out), Stderr: string(errOut), ExitStatus: code}
		}
		return sshtest.Builtin(c)
	}
	sim := cluster.Handler(cfname, next)
	return func(c sshtest.Command) sshtest.Reply {
		if strings.Join(c.Args, " ") != "sh -c "+migratesetup.GuestReadCommand {
			return sim(c)
		}
		if !c.Sudo && c.User != "root" {
			return sshtest.Reply{Stderr: "dd: failed to open the host information disk: Permission denied\n", ExitStatus: 1}
		}
		b, err := disk()
		if err != nil {
			return sshtest.Reply{Stderr: "dd: " + err.Error() + "\n", ExitStatus: 1}
		}
		return sshtest.Reply{Stdout: string(b)}
	}
}
