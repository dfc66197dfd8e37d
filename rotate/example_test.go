package rotate_test

import (
	"fmt"
	"os"

	"github.com/sfkvm/sfkvm/cipher"

	"github.com/sfkvm/sfkvm/rotate"
)

// A token is shown only as a keyed fingerprint: the same token gives the
// same fingerprint within one run, never the token itself.
func ExampleFingerprint() {
	a := rotate.Fingerprint("D0860AB04E1B8FA3")
	b := rotate.Fingerprint("D0860AB04E1B8FA3")
	fmt.Println(a == b, len(a), a[:12])
	// Output: true 21 <token hmac:
}

// A report with a host left behind says so loudly, and how to finish.
func ExampleReport_WriteText() {
	rep := rotate.Report{
		NewHash: "n", OldHash: "o",
		Guests: []rotate.GuestResult{{Guest: "guest11", State: rotate.Rotated,
			OldToken: "<token hmac:11111111>", NewToken: "<token hmac:22222222>", Proven: "new password"}},
		Hosts: []rotate.HostResult{
			{Host: rotate.LocalHost, File: "/etc/opt/FJSVcluster/etc/kvmguests.conf", Holds: "new", Wrote: true},
			{Host: "cfhost2", File: "/etc/opt/FJSVcluster/etc/kvmguests.conf", Holds: "old"},
		},
		Resume: "sfkvm rotate --resume --hosts cfhost2",
	}
	rep.WriteText(os.Stdout)
	// Output:
	// guest guest11          rotated      <token hmac:11111111> -> <token hmac:22222222>  (login with the new password proven)
	// host  this host        NEW      /etc/opt/FJSVcluster/etc/kvmguests.conf (replaced)
	// host  cfhost2          OLD      /etc/opt/FJSVcluster/etc/kvmguests.conf
	// MISMATCH: the guests' passwords and these hosts' files disagree: cfhost2 (old)
	// PRIMECLUSTER on those hosts cannot log in to the rotated guests until this is finished.
	// to finish: sfkvm rotate --resume --hosts cfhost2
}

// A generated password is drawn from letters, digits and a few marks that
// PRIMECLUSTER's policy allows.
func ExampleGenerate() {
	pw, err := rotate.Generate(24)
	if err != nil {
		panic(err)
	}
	defer pw.Wipe()
	fmt.Println(pw.Len(), cipher.CheckPassword(pw.Bytes()), pw)
	// Output: 24 <nil> [REDACTED]
}
