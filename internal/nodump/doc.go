// Package nodump keeps a process's secrets out of core dumps and away from
// other processes of the same user. sfkvm holds passwords (the new one
// during rotate, the one typed to cipher), sealing keys and SSH keys in
// memory; a core dump (ulimit -c unlimited and a SIGQUIT, or a crash) would
// write them to a file.
//
// Protect, called once at the start of the process, sets RLIMIT_CORE to 0
// (soft and hard, so a tool the process runs cannot raise it either) and
// marks the process not dumpable (prctl PR_SET_DUMPABLE 0): no core file,
// also where kernel.core_pattern pipes cores to a collector (which ignores
// RLIMIT_CORE) while fs.suid_dumpable is 0, the default; and no ptrace
// attach or reading of /proc/PID/mem or environ by another process of the
// same user.
//
//	if err := nodump.Protect(); err != nil {
//		// refuse to go on: the secrets could reach a core file
//	}
//
// What it does not do: lock memory (mlock), wipe secrets, or protect
// against root. A program it runs (execve) is dumpable again, though its
// RLIMIT_CORE stays 0. Where the calls do not exist (not Linux), Protect
// does nothing and returns nil.
package nodump
