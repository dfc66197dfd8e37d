package rpcstore

// SetAfterPrepare makes f run once a migration's destination has
// prepared, until restore is called.
func SetAfterPrepare(f func()) (restore func()) {
	afterPrepare = f
	return func() { afterPrepare = nil }
}
