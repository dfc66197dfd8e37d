package kvmguests

import (
	"github.com/sfkvm/sfkvm/diag"
	"github.com/sfkvm/sfkvm/internal/jsonwire"
)

// The JSON reports of this package: what `sfkvm check` and `sfkvm
// compare` print with --format=json (see the package doc for examples).
// Within v1 fields may be added; a renamed or removed field or a changed
// word makes v2.
const (
	CheckSchema   = "sfkvm.check/v1"
	CompareSchema = "sfkvm.compare/v1"
)

// CheckReport is a check of one kvmguests.conf, as JSON.
type CheckReport struct {
	Schema      string           `json:"schema"` // CheckSchema
	File        string           `json:"file"`
	OK          bool             `json:"ok"` // no error (warnings allowed)
	Errors      int              `json:"errors"`
	Warnings    int              `json:"warnings"`
	Guests      []ReportGuest    `json:"guests"`
	Diagnostics diag.Diagnostics `json:"diagnostics"`
	// Notice is SuccessNotice when OK, the vendor's last line.
	Notice string `json:"notice,omitempty"`
}

// ReportGuest is a guest in a CheckReport: the manual's seven fields in
// snake_case (guest-name is guest_name, guest_IP is guest_ip), the line it
// was read from, and the password token redacted ("<token>").
type ReportGuest struct {
	Line        int    `json:"line"`
	Name        string `json:"guest_name"`
	HostCFName  string `json:"host_cfname"`
	ClusterName string `json:"guest_clustername"`
	CFName      string `json:"guest_cfname"`
	IP          string `json:"guest_ip"`
	User        string `json:"guest_user"`
	Password    Token  `json:"guest_passwd"`
}

// NewCheckReport makes the report of a check of file that read guests and
// found diags. Names and messages can carry any byte of the file: bytes
// that are not UTF-8 are written \xNN (JSON would make them U+FFFD).
func NewCheckReport(file string, guests []Guest, diags diag.Diagnostics) CheckReport {
	rep := CheckReport{Schema: CheckSchema, File: jsonwire.Text(file), Errors: diags.Count(diag.Error),
		Warnings: diags.Count(diag.Warning), Guests: []ReportGuest{}, Diagnostics: jsonwire.Diagnostics(diags)}
	rep.OK = rep.Errors == 0
	for _, g := range guests {
		rep.Guests = append(rep.Guests, ReportGuest{g.Line, jsonwire.Text(g.Name), jsonwire.Text(g.HostCFName),
			jsonwire.Text(g.ClusterName), jsonwire.Text(g.CFName), g.IP.String(), jsonwire.Text(g.User), g.Password})
	}
	if rep.OK {
		rep.Notice = SuccessNotice
	}
	return rep
}

// CompareReport is every copy compared with the first, as JSON.
type CompareReport struct {
	Schema string `json:"schema"` // CompareSchema
	// Identical is true when every copy is byte-identical to the first.
	Identical   bool         `json:"identical"`
	Comparisons []Comparison `json:"comparisons"`
}

// NewCompareReport makes the report of comparisons, their names and
// diffs with bytes that are not UTF-8 written \xNN.
func NewCompareReport(comparisons []Comparison) CompareReport {
	rep := CompareReport{Schema: CompareSchema, Identical: true, Comparisons: make([]Comparison, len(comparisons))}
	for i, c := range comparisons {
		c.A, c.B, c.Diff = jsonwire.Text(c.A), jsonwire.Text(c.B), jsonwire.Text(c.Diff)
		rep.Comparisons[i] = c
		rep.Identical = rep.Identical && c.Identical
	}
	return rep
}
