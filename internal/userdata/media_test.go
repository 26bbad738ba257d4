package userdata

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func medium(t *testing.T, dev, fstype string, files map[string]string) Medium {
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Medium{Device: dev, FSType: fstype, Dir: dir}
}

func TestFindOnMediaOrder(t *testing.T) {
	ctxsh := "EC2_USER_DATA=\"" + base64.StdEncoding.EncodeToString([]byte("one")) + "\"\nONE_CONTEXT_PATH=\"/var/lib/amiconfig\"\n"
	one := medium(t, "/dev/sr0", "iso9660", map[string]string{"context.sh": ctxsh})
	cd := medium(t, "/dev/vdb", "vfat", map[string]string{"openstack/latest/user_data": "cd"})
	vs := medium(t, "/dev/sr1", "iso9660", map[string]string{"user-data.txt": "vs"})
	az := medium(t, "/dev/sr2", "udf", map[string]string{AzureMarker: "", "CustomData.bin": "az"})
	azNoMarker := medium(t, "/dev/sr3", "udf", map[string]string{"CustomData.bin": "x"})
	vsOnFat := medium(t, "/dev/sda1", "vfat", map[string]string{"user-data.txt": "no"})

	tests := []struct {
		name      string
		media     []Medium
		src, data string
	}{
		{"configdrive before opennebula", []Medium{one, cd, vs, az}, SrcConfigDrive, "cd"},
		{"opennebula", []Medium{vs, one}, SrcOpenNebula, "one"},
		{"vsphere", []Medium{vsOnFat, az, vs}, SrcVSphere, "vs"},
		{"azure", []Medium{azNoMarker, az}, SrcAzure, "az"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := FindOnMedia(tc.media)
			if err != nil {
				t.Fatal(err)
			}
			if f == nil || f.Source != tc.src || string(f.Data) != tc.data {
				t.Fatalf("got %+v, want %s %q", f, tc.src, tc.data)
			}
		})
	}
	if f, err := FindOnMedia([]Medium{vsOnFat, azNoMarker}); f != nil || err != nil {
		t.Fatalf("want nothing, got %+v %v", f, err)
	}
}

func TestOpenNebulaBadBase64(t *testing.T) {
	m := medium(t, "/dev/sr0", "iso9660", map[string]string{"context.sh": "EC2_USER_DATA=\"%%%\"\n"})
	f, err := FindOnMedia([]Medium{m})
	if f != nil || !errors.Is(err, ErrMalformed) {
		t.Fatalf("got %+v, %v; want ErrMalformed", f, err)
	}
}

func TestFindExtra(t *testing.T) {
	a := medium(t, "/dev/sda1", "ext4", map[string]string{"cernvm/extra-user-data": "[ucernvm-begin]\na=1"})
	b := medium(t, "/dev/sdb1", "vfat", map[string]string{"cernvm/extra-user-data": "b=2\n[ucernvm-end]\n", "cernvm/pickup.tar.gz": "x"})
	ex, err := FindExtra([]Medium{a, b})
	if err != nil {
		t.Fatal(err)
	}
	ctx, found := ParseBlock(ex.UserData)
	if !found || ctx.Value("a") != "1" || ctx.Value("b") != "2" {
		t.Fatalf("extra context %v", ctx.Entries())
	}
	if ex.Pickup != filepath.Join(b.Dir, "cernvm", "pickup.tar.gz") {
		t.Errorf("pickup %q", ex.Pickup)
	}
	want := []string{"/dev/sda1", "/dev/sdb1", "/dev/sdb1(pickup)"}
	if len(ex.Devices) != 3 || ex.Devices[0] != want[0] || ex.Devices[2] != want[2] {
		t.Errorf("devices %v", ex.Devices)
	}
}
