package enroll_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/sfkvm/sfkvm/enroll"
	"github.com/sfkvm/sfkvm/migratesetup/migratesetuptest"
)

// The rule of step 1.2, and a narrower one.
func ExampleSudoersRule() {
	fmt.Print(enroll.SudoersRule("pcllogin", nil))
	fmt.Print(enroll.SudoersRule("pcllogin", []string{"/opt/SMAW/bin/sdtool", "/usr/bin/systemctl restart sfkvm"}))
	// Output:
	// # sfkvm enroll: PRIMECLUSTER's login user (F.2.2 step 1.2); sfkvm unenroll removes it
	// pcllogin ALL=(root) NOPASSWD: ALL
	// # sfkvm enroll: PRIMECLUSTER's login user (F.2.2 step 1.2); sfkvm unenroll removes it
	// pcllogin ALL=(root) NOPASSWD: /opt/SMAW/bin/sdtool, /usr/bin/systemctl restart sfkvm
}

// The domain is found by the guest's SMBIOS UUID among the hosts' libvirt
// domains; the host that has it gives its CF node name.
func ExampleStores_Locate() {
	host2 := migratesetuptest.New(map[string]*migratesetuptest.Domain{
		"guest11": {XML: "<domain type='kvm'>\n  <name>guest11</name>\n  <uuid>5f1c6d2e-8a41-4b7e-9c3d-2e6f0a1b7c95</uuid>\n</domain>\n"},
	})
	stores := enroll.Stores{
		{Host: enroll.LocalHost, CFName: "cfhost1", Store: migratesetuptest.New(nil)},
		{Host: "cfhost2", CFName: "cfhost2", Store: host2},
	}
	pl, err := stores.Locate(context.Background(), "5f1c6d2e-8a41-4b7e-9c3d-2e6f0a1b7c95")
	fmt.Println(pl.Domain, pl.Host, pl.HostCFName, err)
	// Output: guest11 cfhost2 cfhost2 <nil>
}

// A report says every step and what is left.
func ExampleReport_WriteText() {
	rep := enroll.Report{Command: "enroll", Address: "10.20.30.50", User: "pcllogin",
		Steps: []enroll.Step{
			{Name: "user", State: enroll.Already, Detail: "pcllogin exists"},
			{Name: "file", State: enroll.Already, Detail: "every host holds the line"},
			{Name: "disk", State: enroll.Left, Detail: "not reachable from here"},
		},
		Next: []string{"sfkvm migratesetup -s guest11 --restart   (on cfhost1)"}}
	rep.WriteText(os.Stdout)
	// Output:
	// enroll 10.20.30.50 as pcllogin
	// already   user       pcllogin exists
	// already   file       every host holds the line
	// left      disk       not reachable from here
	// next: sfkvm migratesetup -s guest11 --restart   (on cfhost1)
	// nothing changed: the guest was enrolled already
}

// The report as `sfkvm enroll --format=json` prints it: Schema, or
// RemoveSchema for a Report of Remove.
func ExampleReport_MarshalJSON() {
	rep := enroll.Report{Command: "enroll", DryRun: true, Address: "10.20.30.50", User: "pcllogin",
		Steps: []enroll.Step{
			{Name: "policy", State: enroll.OK, Detail: "the new password passes the policy of step 1.2"},
			{Name: "file", State: enroll.Would, Detail: "write the line on 2 hosts"},
		},
		Seconds: 1.5}
	rep.Facts.Domain = enroll.Fact{Value: "guest11", Source: "libvirt domain with UUID 5f1c6d2e-... on this host"}
	b, _ := json.Marshal(rep)
	fmt.Println(string(b))
	// Output:
	// {"schema":"sfkvm.enroll/v1","dry_run":true,"ok":true,"changed":false,"address":"10.20.30.50","user":"pcllogin","facts":{"domain":{"value":"guest11","source":"libvirt domain with UUID 5f1c6d2e-... on this host"}},"steps":[{"name":"policy","state":"ok","detail":"the new password passes the policy of step 1.2"},{"name":"file","state":"would","detail":"write the line on 2 hosts"}],"elapsed_seconds":1.5}
}

// A batch's report: a row per guest, which guests every host's file
// holds, and which are not enrolled.
func ExampleBatchReport_WriteText() {
	ok := enroll.Report{Command: "enroll", Address: "10.20.30.50", User: "pcllogin",
		Steps: []enroll.Step{{Name: "user", State: enroll.Done, Detail: "useradd -m pcllogin"},
			{Name: "file", State: enroll.Done, Detail: "3 copies written and read back"}}}
	ok.Facts.Domain = enroll.Fact{Value: "guest50", Source: "given"}
	bad := enroll.Report{Command: "enroll", Address: "10.20.30.51", User: "pcllogin",
		Steps: []enroll.Step{{Name: "user", State: enroll.Failed, Err: errors.New("useradd -m pcllogin: exit 9")}},
		Err:   errors.New("useradd -m pcllogin: exit 9")}
	bad.Facts.Domain = enroll.Fact{Value: "guest51", Source: "given"}
	enroll.BatchReport{Guests: []enroll.Report{ok, bad}}.WriteText(os.Stdout)
	// Output:
	// enroll 2 guests
	// ADDRESS      GUEST-NAME  USER      RESULT    DETAIL
	// 10.20.30.50  guest50     pcllogin  enrolled
	// 10.20.30.51  guest51     pcllogin  failed    user: useradd -m pcllogin: exit 9
	// failed 10.20.30.51 (not in the file):
	//   failed    user       useradd -m pcllogin: exit 9
	// every host's file holds 1 of 2 guests (1 enrolled now, 0 already): guest50
	// not enrolled: 10.20.30.51
}

// A guest list, as sfkvm enroll --guest-list reads it: guest_IP first,
// then what differs from guest to guest; a bad line is named by file,
// line and field.
func ExampleParseGuestList() {
	ms, err := enroll.ParseGuestList([]byte("# the next guests\n10.20.30.51 guest-user=pcl1 domain=guest51\n10.20.30.52 guest-user=pcl1\n"), "guests")
	fmt.Println(len(ms), ms[0].Address, ms[0].User, ms[0].Given.Domain, err)
	_, err = enroll.ParseGuestList([]byte("10.20.30.51 domian=guest51\n"), "guests")
	fmt.Println(err)
	// Output:
	// 2 10.20.30.51 pcl1 guest51 <nil>
	// guests:1: field 2 "domian=guest51": unknown key domian (keys: guest-user, domain, cluster, cfname, host-cfname, guest-key-fingerprint)
}
