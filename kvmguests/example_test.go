package kvmguests_test

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/sfkvm/sfkvm/kvmguests"
)

func ExampleParse() {
	const conf = "guest11 cfhost1 cluster1 cfguest11 10.20.30.50 user1 D0860AB04E1B8FA3\n" +
		"guest12 cfhost2 cluster1 cfguest12 10.20.30.51 user2 D0860AB04E1B8FA3\n"
	cfg, diags, err := kvmguests.Parse(strings.NewReader(conf), "kvmguests.conf", kvmguests.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(diags), "problems")
	for _, g := range cfg.Guests() {
		fmt.Println(g.Name, "on", g.HostCFName, "at", g.IP, "password", g.Password)
	}
	// Output:
	// 0 problems
	// guest11 on cfhost1 at 10.20.30.50 password <token>
	// guest12 on cfhost2 at 10.20.30.51 password <token>
}

// The manual's own example separates two fields with two spaces; the check
// says where, and Code values work with errors.Is.
func ExampleParseBytes_diagnostics() {
	const conf = "guest11 cfhost1 cluster1 cfguest11  10.20.30.50 user1 D0860AB04E1B8FA3\n" +
		"guest12 cfhost2 cluster1 cfguest12 10.20.30.51 user2 secret\n"
	_, diags := kvmguests.ParseBytes([]byte(conf), "kvmguests.conf", kvmguests.Options{})
	for _, d := range diags {
		fmt.Println(d)
	}
	fmt.Println("has errors:", diags.HasErrors())
	fmt.Println("double space:", errors.Is(diags, kvmguests.ErrDoubleSpace))
	// Output:
	// kvmguests.conf:1:36: error: double-space: 2 spaces between fields; separate fields with exactly one space
	// kvmguests.conf:2:54: error: passwd-not-token: guest_passwd is not hexadecimal, so it is not an sfcipher token (it may be a plain-text password; the value is not shown); put the output of sfcipher -c here
	// has errors: true
	// double space: true
}

func ExampleWriteFile() {
	dir, _ := os.MkdirTemp("", "kvmguests")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "kvmguests.conf")

	var cfg kvmguests.Config
	cfg.Add(kvmguests.Guest{
		Name: "guest11", HostCFName: "cfhost1", ClusterName: "cluster1", CFName: "cfguest11",
		IP: netip.MustParseAddr("10.20.30.50"), User: "user1", Password: "D0860AB04E1B8FA3",
	})
	if err := kvmguests.WriteFile(path, &cfg, kvmguests.Options{}); err != nil {
		panic(err)
	}
	b, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	fmt.Printf("%s%v\n", b, fi.Mode())

	// A configuration with errors is refused; the file stays as it was.
	cfg.Add(kvmguests.Guest{Name: "guest11", HostCFName: "cfhost2", ClusterName: "cluster1", CFName: "cfguest12",
		IP: netip.MustParseAddr("10.20.30.51"), User: "user2", Password: "D0860AB04E1B8FA3"})
	err := kvmguests.WriteFile(path, &cfg, kvmguests.Options{})
	fmt.Println(strings.ReplaceAll(err.Error(), path, "kvmguests.conf"))
	// Output:
	// guest11 cfhost1 cluster1 cfguest11 10.20.30.50 user1 D0860AB04E1B8FA3
	// -rw-------
	// refusing to write kvmguests.conf: kvmguests.conf:2:1: error: dup-guest-name: guest-name "guest11" is also on line 1
}

// The diff hides each token behind a fingerprint keyed for this run:
// equal tokens show equal fingerprints within one output, so a changed token
// still shows, but a fingerprint cannot be looked up, and differs from run
// to run (so this example prints them as <token hmac:…>).
func ExampleCompare() {
	host1 := kvmguests.Copy{Name: "host1", Data: []byte("guest11 cfhost1 cluster1 cfguest11 10.20.30.50 user1 D0860AB04E1B8FA3\n")}
	host2 := kvmguests.Copy{Name: "host2", Data: []byte("guest11 cfhost2 cluster1 cfguest11 10.20.30.50 user1 D0860AB04E1B8FA3\n")}
	c := kvmguests.Compare(host1, host2)
	fmt.Println("identical:", c.Identical)
	fps := fingerprint.FindAllString(c.Diff, -1)
	fmt.Println("same token on both sides:", len(fps) == 2 && fps[0] == fps[1])
	fmt.Print(fingerprint.ReplaceAllString(c.Diff, "<token hmac:…>"))
	// Output:
	// identical: false
	// same token on both sides: true
	// --- host1
	// +++ host2
	// @@ -1 +1 @@
	// -guest11 cfhost1 cluster1 cfguest11 10.20.30.50 user1 <token hmac:…>
	// +guest11 cfhost2 cluster1 cfguest11 10.20.30.50 user1 <token hmac:…>
}

// A copy saved by a Windows editor differs in every line end, and in
// nothing else: Summary says so, where a diff would show every line
// changed with nothing visible.
func ExampleComparison_Summary() {
	host1 := kvmguests.Copy{Name: "host1.conf", Data: []byte("guest11 cfhost1 cluster1 cfguest11 10.20.30.50 user1 D0860AB04E1B8FA3\n")}
	host2 := kvmguests.Copy{Name: "host2.conf", Data: []byte("guest11 cfhost1 cluster1 cfguest11 10.20.30.50 user1 D0860AB04E1B8FA3\r\n")}
	c := kvmguests.Compare(host1, host2)
	fmt.Println(c.LineEnds)
	fmt.Println(c.Summary())
	// Output:
	// crlf-in-b
	// host2.conf differs only in line ends: CRLF where host1.conf has LF
}

var fingerprint = regexp.MustCompile(`<token hmac:[0-9a-f]{8}>`)
