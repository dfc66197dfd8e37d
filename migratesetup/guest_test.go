package migratesetup

import (
	"context"
	"errors"
	"os"
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
