// Package sshdtest starts real OpenSSH sshd servers for integration tests
// (docs/testing.md). sfkvm's probes, rotations and site runs log in the way
// PRIMECLUSTER will, so their tests need the real server's behaviour (PAM,
// sudo, MaxStartups, host key types) rather than an in-process fake
// (sshcheck/sshtest serves where the fake is enough).
//
// Start runs each sshd on its own port, its host keys and configuration in
// t.TempDir(), MaxStartups 1000:30:2000, as a child process reaped when the
// test ends. TestUsers makes the local test accounts of
// scripts/testusers.sh, and NewNetNS a network namespace for tests that
// need guests at non-loopback addresses. Everything skips (or fails under
// SFKVM_INTEGRATION=1) through internal/testenv when root or a program is
// missing.
//
//	srv := sshdtest.Start(t, sshdtest.Config{})
//	users := sshdtest.TestUsers(t)
//	line := srv.KnownHostsLine("127.0.0.1", srv.Port, "ssh-ed25519")
package sshdtest
