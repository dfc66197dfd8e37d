package metrics

import (
	pmetrics "github.com/sfkvm/sfkvm/preflight/metrics"
	"github.com/sfkvm/sfkvm/site"
)

// FileName is the textfile that Write puts in its folder: not preflight's
// (preflight/metrics.FileName), so that a monitoring host that is also a
// cluster host can write both to one folder.
const FileName = "sfkvm_site.prom"

// Write writes rep's metrics to FileName in a folder opened (and checked)
// with preflight/metrics.OpenTextfileDir, the same way as preflight's
// metrics are written there (TextfileDir.WriteFile): atomically, mode
// 0644, never through a link. Open the folder before the run, so that a
// wrong one is told before minutes of work; write after.
func Write(t *pmetrics.TextfileDir, rep site.Report) error {
	g, err := Gatherer(rep)
	if err != nil {
		return err
	}
	return t.WriteFile(FileName, g)
}

// WriteTextfile opens the folder at dir, checks it as
// preflight/metrics.OpenTextfileDir does (its errors match the same
// safefile rules with errors.Is) and writes rep's metrics there (Write).
func WriteTextfile(dir string, rep site.Report) error {
	t, err := pmetrics.OpenTextfileDir(dir)
	if err != nil {
		return err
	}
	defer t.Close()
	return Write(t, rep)
}
