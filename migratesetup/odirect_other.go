//go:build !linux

package migratesetup

// oDirect is zero where the guest is not Linux: the reader then reads
// through the cache, which is right for a file that cannot change.
const oDirect = 0
