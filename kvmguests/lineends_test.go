package kvmguests

import "testing"

func TestCompareNamesLineEndsOnly(t *testing.T) {
	lf := "guest11 cfhost1 cluster1 cfguest11 10.20.30.50 root D0860AB04E1B8FA3\nguest12 cfhost2 cluster1 cfguest12 10.20.30.51 root D0860AB04E1B8FA3\n"
	crlf := "guest11 cfhost1 cluster1 cfguest11 10.20.30.50 root D0860AB04E1B8FA3\r\nguest12 cfhost2 cluster1 cfguest12 10.20.30.51 root D0860AB04E1B8FA3\r\n"
	mixed := "guest11 cfhost1 cluster1 cfguest11 10.20.30.50 root D0860AB04E1B8FA3\r\nguest12 cfhost2 cluster1 cfguest12 10.20.30.51 root D0860AB04E1B8FA3\n"
	other := "guest11 cfhost1 cluster1 cfguest11 10.20.30.50 root D0860AB04E1B8FA3\ngueST12 cfhost2 cluster1 cfguest12 10.20.30.51 root D0860AB04E1B8FA3\r\n"
	for _, tc := range []struct {
		name, a, b string
		want       LineEnds
		summary    string
	}{
		{"CRLF in the second", lf, crlf, CRLFInB, "host2.conf differs only in line ends: CRLF where host1.conf has LF"},
		{"CRLF in the first", crlf, lf, CRLFInA, "host2.conf differs only in line ends: LF where host1.conf has CRLF"},
		{"CRLF in one line", lf, mixed, CRLFInB, "host2.conf differs only in line ends: CRLF where host1.conf has LF"},
		{"each has CRLF the other lacks", mixed, "guest11 cfhost1 cluster1 cfguest11 10.20.30.50 root D0860AB04E1B8FA3\nguest12 cfhost2 cluster1 cfguest12 10.20.30.51 root D0860AB04E1B8FA3\r\n", CRLFInBoth,
			"host2.conf differs only in line ends: CRLF and LF, each where host1.conf has the other"},
		{"a CR without its LF", lf, "guest11 cfhost1 cluster1 cfguest11 10.20.30.50 root D0860AB04E1B8FA3\r", LineEndsNotOnly, "host2.conf differs from host1.conf"},
		{"text differs too", lf, other, LineEndsNotOnly, "host2.conf differs from host1.conf"},
		{"a line more", lf, lf + "\r\n", LineEndsNotOnly, "host2.conf differs from host1.conf"},
		{"identical", crlf, crlf, LineEndsNotOnly, "host2.conf is identical to host1.conf"},
	} {
		c := Compare(Copy{Name: "host1.conf", Data: []byte(tc.a)}, Copy{Name: "host2.conf", Data: []byte(tc.b)})
		if c.LineEnds != tc.want || c.Summary() != tc.summary {
			t.Errorf("%s: LineEnds %v, Summary %q; want %v, %q", tc.name, c.LineEnds, c.Summary(), tc.want, tc.summary)
		}
	}
}
