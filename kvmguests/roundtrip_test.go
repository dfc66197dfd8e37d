package kvmguests

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFormatIsInverseOfParse(t *testing.T) {
	in := "guest11 cfhost1 cluster1 cfguest11 10.20.30.50 user1 D0860AB04E1B8FA3\n" +
		"\n" +
		"# cluster 2\n" +
		"guest21 cfhost1 cluster2 cfguest21 2001:db8::60 root D0860AB04E1B8FA3D0860AB04E1B8FA3\n"
	cfg, _ := ParseBytes([]byte(in), "f", Options{})
	if got := Format(cfg); string(got) != in {
		t.Errorf("Format(Parse(x)) differs from x:\n%s", cmp.Diff(in, string(got)))
	}
}

func TestMarshalRefusesErrors(t *testing.T) {
	var cfg Config
	cfg.Add(Guest{Name: "g1", HostCFName: "h1", ClusterName: "c1", CFName: "n1",
		IP: netip.MustParseAddr("10.0.0.1"), User: "root", Password: "plaintext"})
	_, err := Marshal(&cfg, "new.conf", Options{})
	if err == nil {
		t.Fatal("Marshal accepted a plain-text password")
	}
	if bytes.Contains([]byte(err.Error()), []byte("plaintext")) {
		t.Errorf("error shows the password: %v", err)
	}
	cfg.Lines[0].Guest.Password = "D0860AB04E1B8FA3"
	b, err := Marshal(&cfg, "new.conf", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "g1 h1 c1 n1 10.0.0.1 root D0860AB04E1B8FA3\n"; string(b) != want {
		t.Errorf("Marshal = %q, want %q", b, want)
	}
}

// TestWriterKeepsCommentsAndBlanks: a file with warnings (blank and comment
// lines) is written back with those lines in place.
func TestWriterKeepsCommentsAndBlanks(t *testing.T) {
	in := "# generated\n\n" + good
	cfg, diags := ParseBytes([]byte(in), "f", Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	b, err := Marshal(cfg, "f", Options{})
	if err != nil || string(b) != in {
		t.Errorf("Marshal = %q, %v; want %q", b, err, in)
	}
}

func TestTokenRedacts(t *testing.T) {
	var cfg Config
	cfg.Add(Guest{Name: "g1", IP: netip.MustParseAddr("10.0.0.1"), Password: "D0860AB04E1B8FA3"})
	g := cfg.Guests()[0]
	for _, s := range []string{
		g.String(), g.Password.String(),
		sprintf("%v", g), sprintf("%+v", g), sprintf("%#v", g), sprintf("%s", g.Password),
		sprintf("%x", g.Password), sprintf("%q", g.Password), sprintf("%d", g.Password),
		logLine(g), jsonOf(t, g),
	} {
		if bytes.Contains([]byte(s), []byte("D0860AB04E1B8FA3")) || bytes.Contains([]byte(s), []byte("4430383630")) {
			t.Errorf("token shown: %s", s)
		}
	}
	if g.Password.Reveal() != "D0860AB04E1B8FA3" {
		t.Error("Reveal lost the token")
	}
}
