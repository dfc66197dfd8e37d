// Command sfkvm is the reference CLI of the sfkvm module: it composes the
// packages, one subcommand per step of PRIMECLUSTER's F.2.2 procedure
// (preparing KVM guest cluster nodes for live migration with the host OS
// failover function), and shows how an in-house tool would use them.
//
// Usage:
//
//	sfkvm COMMAND [flags]
//	sfkvm help [COMMAND]
//	sfkvm help --man DIR
//	sfkvm --version
//
// The commands are:
//
//	check         check kvmguests.conf like sfkvmtool -c, and more strictly
//	cipher        encrypt a guest user's password for kvmguests.conf (like sfcipher -c)
//	compare       tell whether copies of kvmguests.conf are byte-identical
//	demo          run the whole procedure against a built-in lab, in seconds, leaving nothing behind
//	drill         prove live migration on the real cluster: the guest to each other host in turn and back home, every leg checked and verified
//	enroll        a guest (or a --guest-list of them) into the failover in one step: user and sudo rule, token, every host's kvmguests.conf, host keys, disk
//	hostinfo      inside a guest: print the host it runs on (--watch: each change)
//	migrate       move a running guest to another host, live: refused unless ready, --guard for clusters without the host OS failover function, verified
//	migratesetup  register this host (-c), set up guests to read it (-s) or undo (-d)
//	preflight     check the whole procedure at once: one row per step and target
//	probe         log in to every guest like PRIMECLUSTER will: host key, password, sudo (steps 1.5, 1.2)
//	rotate        change guests' passwords and every host's kvmguests.conf together, proven by logins
//	sd            drive the shutdown facility (sdtool -s/-e/-b): sd status|start|stop|restart
//	site          run preflight on every host over SSH and check the whole site: one report
//	unenroll      a guest out of the failover: its line from every host's kvmguests.conf, its sudoers drop-in, the user if asked
//
// "sfkvm help COMMAND" prints a command's usage, what it does, and every
// flag with its default. "sfkvm help --man DIR" writes the same text as
// manual pages into DIR: sfkvm.8 and sfkvm-COMMAND.8 (the release's
// packages install them). Long flags take two dashes (--format), the
// vendor's one-letter flags one (-f, -c). The usage lines of the commands
// (TestDocListsEveryUsageLine keeps them the same as the help):
//
//	sfkvm check [-f FILE] [--no-perm] [--allow-sealed] [--format=text|json]
//	sfkvm cipher -c [--password-stdin] [--sfcipher PATH | --native --key FILE --guest-name NAME --guest-ip IP --guest-user USER] [--format text|json]
//	sfkvm cipher --new-key FILE
//	sfkvm compare [--format=text|json] FILE FILE...
//	sfkvm demo [--timeout D] [--keep]
//	sfkvm drill DOMAIN --hosts HOST,... [--guard] [--key FILE | --password-stdin] [flags]
//	sfkvm enroll --guest-user NAME [--password-stdin | --generate FILE] [--key FILE --native | --sfcipher PATH] [--hosts HOST,...] [--guest-key-fingerprint SHA256:...] [--dry-run] [flags] GUEST_IP
//	sfkvm enroll --guest-list FILE [--parallel N] [same flags]
//	sfkvm hostinfo [--device PATH] [--watch [--interval D]] [--format=text|json]
//	sfkvm migrate DOMAIN --to HOST [--guard] [--key FILE | --password-stdin] [flags] | --recover DOMAIN
//	sfkvm migratesetup -c -i HOSTIP [-w off] [--cfname NAME | --cftool PATH] [--hostinfo PATH] [--format=text|json]
//	sfkvm migratesetup -s|-d DOMAIN... [--connect URI] [--dry-run] [--restart [--force] [--timeout D]] [--parallel N] [--hostinfo PATH] [--format=text|json]
//	sfkvm preflight [-f FILE] [--key FILE [--allow-v1-tokens] | --password-stdin] [--hosts ADDR,...] [--textfile DIR] [--nagios] [flags]
//	sfkvm probe [-f FILE] [--port N] [--known-hosts FILE] [--trust] [--parallel N] [--timeout D] [--key FILE [--allow-v1-tokens] | --password-stdin] [--format=text|json]
//	sfkvm rotate [-f FILE] [--guests NAME,...] [--hosts HOST,...] [--password-stdin | --generate FILE] [--key FILE [--native] | --old-password-file FILE] [--dry-run] [flags]
//	sfkvm rotate --resume [-f FILE] --hosts HOST,... [--previous-sha256 SHA256] [flags]
//	sfkvm sd status|start|stop|restart [--sdtool PATH] [--timeout D] [--poll D] [--format=text|json]
//	sfkvm site --site-hosts HOST,... | --site-hosts-file FILE [--sfkvm PATH] [--identity FILE | --host-password-file FILE] [--parallel N] [--textfile DIR] [--format=text|json] [flags]
//	sfkvm unenroll [-f FILE] [--hosts HOST,...] [--remove-user] [--dry-run] [flags] GUEST_NAME
//
// The exit codes:
//
//	0   all checks held (warnings allowed)
//	1   some targets failed
//	2   usage error
//	65  the configuration has errors
//	66  an input file is missing or unreadable
//	69  a needed service or tool is unavailable
//	77  wrong owner or mode, or not permitted
//	130 interrupted (SIGINT or SIGTERM); a second signal ends at once
package main
