// Package migjob is the watchdog that the stores of migratesetup share
// for a live migration: it runs the blocking migration call, polls the
// job's figures, hands them to the caller's progress function, and aborts
// the job when MigrateOptions.Timeout passes, when the remaining data has
// not shrunk for MigrateOptions.NoProgress, or when the context ends.
// One implementation, so that the RPC store, the cgo store and the fake
// bound a migration alike and report it in the same words.
package migjob
