package migratesetup

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sfkvm/sfkvm/diag"
)

func registered(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hostinfo")
	if err := Register(context.Background(), path, cfhost1); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadGuestReadsARealFile(t *testing.T) {
	got, err := ReadGuest(context.Background(), registered(t))
	if err != nil || got != cfhost1 {
		t.Errorf("ReadGuest = %+v, %v", got, err)
	}
}

// noDirect makes every O_DIRECT open fail as on a file system without it,
// and records which flags were asked for.
func noDirect(t *testing.T, flags *[]int) {
	t.Cleanup(func() { openFile = os.OpenFile })
	openFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		*flags = append(*flags, flag)
		if flag&oDirect != 0 {
			return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EINVAL}
		}
		return os.OpenFile(name, flag, perm)
	}
}

func TestReadGuestFallsBackWhenODirectIsRefused(t *testing.T) {
	if oDirect == 0 {
		t.Skip("no O_DIRECT on this system")
	}
	path := registered(t)
	var flags []int
	noDirect(t, &flags)
	got, err := ReadGuest(context.Background(), path)
	if err != nil || got != cfhost1 {
		t.Fatalf("ReadGuest = %+v, %v", got, err)
	}
	if len(flags) != 2 || flags[0]&oDirect == 0 || flags[1]&oDirect != 0 {
		t.Errorf("opens with flags %#x, want O_DIRECT then without", flags)
	}
}

func TestReadGuestUsesODirect(t *testing.T) {
	if oDirect == 0 {
		t.Skip("no O_DIRECT on this system")
	}
	path := registered(t)
	var flags []int
	t.Cleanup(func() { openFile = os.OpenFile })
	openFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		flags = append(flags, flag)
		return os.OpenFile(name, flag, perm)
	}
	if _, err := ReadGuest(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	// On a file system that has O_DIRECT (the test folder's, usually) one
	// open is enough; where it has not, the fallback is the second.
	if flags[0]&oDirect == 0 {
		t.Errorf("first open without O_DIRECT: %#x", flags[0])
	}
}

func TestReadGuestSeesTheCurrentFile(t *testing.T) {
	// What a migration looks like from inside: the same path, new content.
	path := registered(t)
	other := HostInfo{CFName: "cfhost2", IP: cfhost1.IP, NoWeightLink: true}
	if _, err := ReadGuest(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	if err := Register(context.Background(), path, other); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadGuest(context.Background(), path); err != nil || got != other {
		t.Errorf("after re-registration: %+v, %v", got, err)
	}
}

func TestReadGuestErrors(t *testing.T) {
	_, err := ReadGuest(context.Background(), filepath.Join(t.TempDir(), "absent"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "migratesetup -s") {
		t.Errorf("missing disk: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(big, make([]byte, MaxFileSize+SectorSize), 0o600); err != nil {
		t.Fatal(err)
	}
	var ds diag.Diagnostics
	if _, err := ReadGuest(context.Background(), big); !errors.As(err, &ds) || ds[0].Code != CodeTooLarge {
		t.Errorf("a large disk: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadGuest(ctx, registered(t)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestAlignedBuffer(t *testing.T) {
	for i := 0; i < 8; i++ {
		b := alignedBuffer(1000+i, directAlign)
		if len(b) != 1000+i || uintptrOf(b)%directAlign != 0 {
			t.Fatalf("len %d, address %% %d = %d", len(b), directAlign, uintptrOf(b)%directAlign)
		}
	}
}

// fakeGuest makes a file system root with sys/block/NAME/serial for each
// name→serial, and dev/NAME as a regular file holding the host information
// for the one whose serial is Serial.
func fakeGuest(t *testing.T, serials map[string]string, info HostInfo) string {
	t.Helper()
	root := t.TempDir()
	for name, serial := range serials {
		dir := filepath.Join(root, "sys", "block", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if serial != "" {
			if err := os.WriteFile(filepath.Join(dir, "serial"), []byte(serial), 0o444); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.MkdirAll(filepath.Join(root, "dev"), 0o755); err != nil {
			t.Fatal(err)
		}
		data := []byte("not a host information disk\n")
		if serial == Serial {
			var err error
			if data, err = info.Format(); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(root, "dev", name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestFindGuestDeviceBySysfsSerial(t *testing.T) {
	root := fakeGuest(t, map[string]string{"vda": "rootdisk", "vdb": Serial, "loop0": ""}, cfhost1)
	dev, err := FindGuestDevice(root)
	if err != nil || dev != filepath.Join(root, "dev", "vdb") {
		t.Fatalf("FindGuestDevice = %q, %v", dev, err)
	}
	got, err := ReadGuest(context.Background(), dev)
	if err != nil || got != cfhost1 {
		t.Errorf("ReadGuest(%s) = %+v, %v", dev, got, err)
	}
}

func TestFindGuestDeviceSerialPaddingIgnored(t *testing.T) {
	// Some kernels show the serial with a newline, or its NUL padding.
	for _, serial := range []string{Serial + "\n", Serial + "\x00\x00", Serial + " "} {
		root := fakeGuest(t, map[string]string{"vdc": serial}, cfhost1)
		if dev, err := FindGuestDevice(root); err != nil || filepath.Base(dev) != "vdc" {
			t.Errorf("serial %q: %q, %v", serial, dev, err)
		}
	}
	root := fakeGuest(t, map[string]string{"vdc": Serial + "x"}, cfhost1)
	if dev, err := FindGuestDevice(root); err == nil {
		t.Errorf("serial %q matched: %q", Serial+"x", dev)
	}
}

func TestFindGuestDeviceFallsBackToUdevLink(t *testing.T) {
	root := fakeGuest(t, map[string]string{"vda": "rootdisk"}, cfhost1)
	link := filepath.Join(root, GuestDevice)
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(link, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if dev, err := FindGuestDevice(root); err != nil || dev != link {
		t.Errorf("FindGuestDevice = %q, %v; want %s", dev, err, link)
	}
}

func TestFindGuestDeviceNoDisk(t *testing.T) {
	for name, root := range map[string]string{
		"no sys":     t.TempDir(),
		"no serials": fakeGuest(t, map[string]string{"vda": "rootdisk", "sr0": ""}, cfhost1),
	} {
		_, err := FindGuestDevice(root)
		if !errors.Is(err, ErrNoGuestDisk) || !errors.Is(err, os.ErrNotExist) ||
			!strings.Contains(err.Error(), "sfkvm migratesetup -s on its host, and started since") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestReadGuestMissingDeviceIsNoGuestDisk(t *testing.T) {
	_, err := ReadGuest(context.Background(), filepath.Join(t.TempDir(), "vdz"))
	if !errors.Is(err, ErrNoGuestDisk) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadGuest of an absent device: %v", err)
	}
}

func TestParseDisk(t *testing.T) {
	data, err := cfhost1.Format()
	if err != nil {
		t.Fatal(err)
	}
	// dd's output: whole sectors, the file's padding, then the rest of a
	// larger disk (zeros).
	disk := append(append([]byte{}, data...), make([]byte, 3*SectorSize)...)
	if got, err := ParseDisk(disk, "guest11"); err != nil || got != cfhost1 {
		t.Errorf("ParseDisk = %+v, %v", got, err)
	}
	if _, err := ParseDisk(nil, "guest11"); err == nil || !strings.Contains(err.Error(), "guest11: no bytes read") {
		t.Errorf("empty: %v", err)
	}
	var ds diag.Diagnostics
	if _, err := ParseDisk([]byte("hello\n"), "guest11"); !errors.As(err, &ds) {
		t.Errorf("garbage: %v", err)
	}
}

// TestGuestReadCommand runs the shell command on a fake guest: sysfs and
// /dev moved under a temporary root, and O_DIRECT dropped where the test
// folder's file system refuses it.
func TestGuestReadCommand(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	if _, err := exec.LookPath("dd"); err != nil {
		t.Skip("no dd")
	}
	root := fakeGuest(t, map[string]string{"vda": "rootdisk", "vdb": Serial}, cfhost1)
	cmd := strings.ReplaceAll(GuestReadCommand, "/sys/", root+"/sys/")
	cmd = strings.ReplaceAll(cmd, "/dev/", root+"/dev/")
	if strings.Count(cmd, root) != strings.Count(GuestReadCommand, "/sys/")+strings.Count(GuestReadCommand, "/dev/") {
		t.Fatal("the rewrite missed a path")
	}
	f, err := os.OpenFile(filepath.Join(root, "dev", "vdb"), os.O_RDONLY|oDirect, 0)
	if err != nil {
		cmd = strings.Replace(cmd, " iflag=direct", "", 1) // tmpfs
	} else {
		f.Close()
	}
	out, err := exec.Command(sh, "-c", cmd).Output()
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	if got, err := ParseDisk(out, "vdb"); err != nil || got != cfhost1 {
		t.Errorf("ParseDisk(output) = %+v, %v", got, err)
	}

	empty := fakeGuest(t, map[string]string{"vda": "rootdisk"}, cfhost1)
	cmd = strings.ReplaceAll(strings.ReplaceAll(GuestReadCommand, "/sys/", empty+"/sys/"), "/dev/", empty+"/dev/")
	var stderr strings.Builder
	c := exec.Command(sh, "-c", cmd)
	c.Stderr = &stderr
	err = c.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 66 || !strings.Contains(stderr.String(), "no host information disk") {
		t.Errorf("no disk: %v, %q", err, stderr.String())
	}
	if strings.Contains(GuestReadCommand, "'") {
		t.Error("GuestReadCommand holds a single quote; the documented sudo sh -c '...' breaks")
	}
}
