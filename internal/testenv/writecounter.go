package testenv

// WriteCounter is an io.Writer that keeps nothing and counts the calls
// made to it and the bytes given: a test that output is buffered (a table
// of thousands of rows written in a few calls, not one per cell).
type WriteCounter struct{ Calls, Bytes int }

func (w *WriteCounter) Write(p []byte) (int, error) {
	w.Calls++
	w.Bytes += len(p)
	return len(p), nil
}
