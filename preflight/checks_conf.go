package preflight

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/sfkvm/sfkvm/diag"
	"github.com/sfkvm/sfkvm/internal/count"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/sdfacility"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// checkCommand is the sfkvm check that reads the file as this run read
// it, ready to paste: --allow-sealed for a file that may hold sfkvm sealed
// tokens (without it check refuses them), --no-perm for a copy.
func (p *pass) checkCommand() string {
	words := []string{"check", "-f", p.cfg.File}
	if p.cfg.FileOptions.AllowSealed {
		words = append(words, "--allow-sealed")
	}
	if p.cfg.FileOptions.SkipFileChecks {
		words = append(words, "--no-perm")
	}
	line, err := sshcheck.QuoteCommand("sfkvm", words...)
	if err != nil { // a NUL in the path: the file could not be read anyway
		return "sfkvm check -f FILE"
	}
	return line
}

// runConfSyntax: steps 1.4 and 1.6, sfkvm's check of the file.
func runConfSyntax(_ context.Context, p *pass) []Result {
	r := Result{Target: p.cfg.File}
	if ok, why := p.fromFile(); !ok {
		r.Status, r.Reason = Skip, why
		return []Result{r}
	}
	if p.confErr != nil {
		r.Status, r.Reason, r.Err = Fail, p.confErr.Error(), p.confErr
		r.Fix = "write the file on every host (manual step 1.4); sfkvm check -f FILE checks it"
		return []Result{r}
	}
	var content diag.Diagnostics
	for _, d := range p.confDiags {
		if !kvmguests.IsFileProblem(d.Code) {
			content = append(content, d)
		}
	}
	errs, warns := content.Count(diag.Error), content.Count(diag.Warning)
	n := len(p.guests)
	switch {
	case errs > 0:
		r.Status, r.Err = Fail, content.Err()
		r.Reason = fmt.Sprintf("%s, %s; first: %s", count.N(errs, "error", "errors"), count.N(warns, "warning", "warnings"), firstOf(content, diag.Error))
		r.Fix = p.checkCommand() + " lists every problem with its line and column"
	case warns > 0:
		r.Status = Warn
		r.Reason = fmt.Sprintf("%s, %s; first: %s", count.N(n, "guest", "guests"), count.N(warns, "warning", "warnings"), firstOf(content, diag.Warning))
		r.Fix = p.checkCommand() + " lists them"
	default:
		r.Status, r.Reason = OK, count.N(n, "guest", "guests")+", no problem"
	}
	return []Result{r}
}

func firstOf(ds diag.Diagnostics, s diag.Severity) string {
	for _, d := range ds {
		if d.Severity == s {
			return fmt.Sprintf("line %d: %s: %s", d.Line, d.Code, d.Message)
		}
	}
	return ""
}

// runConfMode: step 1.4, the file's owner and mode.
func runConfMode(_ context.Context, p *pass) []Result {
	r := Result{Target: p.cfg.File, Status: OK, Reason: "root, 0600"}
	switch ok, why := p.fromFile(); {
	case !ok:
		r.Status, r.Reason = Skip, why
		return []Result{r}
	case p.confErr != nil:
		r.Status, r.Reason = Skip, "the file cannot be read"
		return []Result{r}
	case p.cfg.FileOptions.SkipFileChecks:
		r.Status, r.Reason = Skip, "not checked (asked not to: a copy)"
		return []Result{r}
	}
	var reasons []string
	for _, d := range p.confDiags {
		if kvmguests.IsFileProblem(d.Code) {
			reasons = append(reasons, d.Message)
		}
	}
	if len(reasons) > 0 {
		r.Status, r.Reason = Fail, strings.Join(reasons, "; ")
		r.Fix = fmt.Sprintf("chown root:root %s && chmod 600 %s", p.cfg.File, p.cfg.File)
	}
	return []Result{r}
}

// runConfVendor: step 1.6 with the vendor's own checker, beside ours when
// it is installed.
func runConfVendor(ctx context.Context, p *pass) []Result {
	r := Result{Target: p.cfg.File}
	tool := p.cfg.VendorChecker
	_, statErr := os.Stat(tool)
	switch ok, why := p.fromFile(); {
	case !ok:
		r.Status, r.Reason = Skip, why
		return []Result{r}
	case tool == "" || errors.Is(statErr, fs.ErrNotExist):
		r.Status, r.Reason = Skip, "sfkvmtool is not installed (PRIMECLUSTER is not on this machine); only sfkvm's check ran"
		return []Result{r}
	case p.cfg.File != kvmguests.DefaultPath:
		// sfkvmtool takes no file name: its verdict would be about another file.
		r.Status, r.Reason = Skip, "sfkvmtool -c checks only "+kvmguests.DefaultPath+", not "+p.cfg.File
		return []Result{r}
	}
	stdout, stderr, status, err := p.cfg.Local.Run(ctx, tool, "-c")
	// The tool's words, escaped and cut: never its raw bytes.
	detail := "stdout " + sdfacility.Excerpt(stdout) + "\nstderr " + sdfacility.Excerpt(stderr)
	switch {
	case err != nil:
		r.Status, r.Reason, r.Err = Fail, "could not run "+tool+": "+err.Error(), err
		r.Detail = detail
	case status == 0 && strings.Contains(string(stdout), kvmguests.SuccessNotice):
		r.Status, r.Reason = OK, kvmguests.SuccessNotice
	default:
		r.Status = Fail
		r.Reason = fmt.Sprintf("sfkvmtool -c exited %d without the success notice", status)
		r.Detail = detail
		r.Fix = "read sfkvmtool's message; " + p.checkCommand() + " points at lines and columns"
	}
	return []Result{r}
}

// runConfCopies: step 1.4, the file is byte-identical on every host.
func runConfCopies(ctx context.Context, p *pass) []Result {
	skip := func(why string) []Result {
		return []Result{{Target: "(other hosts)", Status: Skip, Reason: why}}
	}
	if ok, why := p.fromFile(); !ok {
		return skip(why)
	}
	if len(p.cfg.Hosts) == 0 {
		return skip("no other hosts given: their copies were not compared")
	}
	mine, err := kvmguests.ReadCopy(p.cfg.File) // a regular file, bounded: never a FIFO or /dev/zero
	if err != nil {
		return skip("this host's file cannot be read: " + err.Error())
	}
	file := p.cfg.File
	return p.each(len(p.cfg.Hosts), func(i int) []Result {
		h := p.cfg.Hosts[i]
		r := Result{Target: h.Address, index: i}
		theirs, err := p.fetch(ctx, h, file, p.cfg.maxCopy())
		if err != nil {
			r.Status, r.Reason, r.Err, r.Fix = Fail, "could not read its copy: "+err.Error(), err, hostFix(err, h)
			return []Result{r}
		}
		c := kvmguests.Compare(kvmguests.Copy{Name: "this host:" + file, Data: mine.Data}, kvmguests.Copy{Name: h.Address + ":" + file, Data: theirs})
		if c.Identical {
			r.Status, r.Reason = OK, "byte-identical"
		} else {
			r.Status, r.Reason, r.Detail = Fail, "differs from this host's copy", c.Diff
			r.Fix = fmt.Sprintf("make the copies identical: scp -p %s %s:%s", file, h.Address, file)
		}
		return []Result{r}
	})
}

// runConfChanged: the file is the one the last run saw. A change may be
// meant; it is a WARN that names both checksums, and the next run takes
// the new file as its baseline.
func runConfChanged(_ context.Context, p *pass) []Result {
	r := Result{Target: p.cfg.File}
	prev := p.cfg.PreviousConfSHA256
	switch ok, why := p.fromFile(); {
	case !ok:
		r.Status, r.Reason = Skip, why
	case p.confSum == "":
		r.Status, r.Reason, r.Err = Skip, "the file cannot be read", p.confSumErr
	case prev == "":
		r.Status, r.Reason = Skip, "no earlier run known (its checksum is kept in the metrics textfile: --textfile); now sha256 "+short(p.confSum)
	case prev == p.confSum:
		r.Status, r.Reason = OK, "sha256 "+short(p.confSum)+", as at the last run"
	default:
		r.Status = Warn
		r.Reason = fmt.Sprintf("changed since the last run: sha256 %s, was %s", short(p.confSum), short(prev))
		r.Fix = "if the edit was meant, make every host's copy the same (conf.copies compares them: --hosts); the next run takes this file as its baseline"
	}
	return []Result{r}
}

// short is a checksum's first 12 hex digits, enough to tell two apart in
// a table.
func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}
