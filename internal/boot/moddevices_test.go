package boot

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

// TestModaliases: the modaliases of the driver tables' buses (or of the
// buses asked for) are read, other buses and devices without one are not.
func TestModaliases(t *testing.T) {
	sys := t.TempDir()
	dev := func(bus, name, alias string) {
		d := filepath.Join(sys, "bus", bus, "devices", name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if alias != "" {
			if err := os.WriteFile(filepath.Join(d, "modalias"), []byte(alias+"\n"), 0o444); err != nil {
				t.Fatal(err)
			}
		}
	}
	dev("pci", "0000:00:03.0", "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00")
	dev("virtio", "virtio0", "virtio:d00000001v00001AF4")
	dev("acpi", "PNP0A03:00", "acpi:PNP0A03:")
	dev("acpi", "LNXSYSTM:00", "")
	dev("cpu", "cpu0", "cpu:type:x86,ven0000fam0006mod003F:feature:,0000")
	dev("platform", "serial8250", "platform:serial8250")
	got := Modaliases(sys)
	sort.Strings(got)
	want := []string{"acpi:PNP0A03:", "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00", "virtio:d00000001v00001AF4"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Modaliases = %q, want %q", got, want)
	}
	if got := Modaliases(sys, "virtio"); !reflect.DeepEqual(got, []string{"virtio:d00000001v00001AF4"}) {
		t.Fatalf("Modaliases of virtio = %q", got)
	}
	if Modaliases(filepath.Join(sys, "missing")) != nil {
		t.Fatal("no sysfs: want nothing")
	}
}
