package mkext4

import (
	"errors"
	"testing"
)

func TestGeometryLimits(t *testing.T) {
	ge, err := newGeometry(16<<40, Options{InodeRatio: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if n := uint64(ge.ipg) * uint64(ge.groups); n >= 1<<32 || ge.ipg%inodesPerBlock != 0 {
		t.Fatalf("16 TiB at 4 KiB per inode: %d inodes (%d per group)", n, ge.ipg)
	}
	if ge.jblocks != 262144 || ge.gdtBlocks != 2048 {
		t.Fatalf("16 TiB: journal %d, gdt %d", ge.jblocks, ge.gdtBlocks)
	}
	// A last group too small for its metadata is dropped.
	ge, err = newGeometry(1<<30+100*blockSize, Options{})
	if err != nil || ge.groups != 8 || ge.blocks != 1<<18 {
		t.Fatalf("1 GiB + 100 blocks: %+v %v", ge, err)
	}
	for _, tc := range []struct {
		size int64
		o    Options
		want error
	}{
		{8 << 20, Options{}, ErrTooSmall},
		{17 << 40, Options{}, ErrTooBig},
		{1 << 30, Options{JournalBlocks: 100}, ErrBadOption},
		{1 << 30, Options{ReservedPercent: 60}, ErrBadOption},
	} {
		if _, err := newGeometry(tc.size, tc.o); !errors.Is(err, tc.want) {
			t.Errorf("%d %+v: %v, want %v", tc.size, tc.o, err, tc.want)
		}
	}
	if err := Format(nil, 1<<30, Options{Label: "a label longer than 16"}); !errors.Is(err, ErrBadOption) {
		t.Errorf("long label: %v", err)
	}
	if err := Format(nil, 1<<30, Options{InodeRatio: 1024}); !errors.Is(err, ErrBadOption) {
		t.Errorf("inode ratio 1024: %v", err)
	}
}

func TestHasBackup(t *testing.T) {
	var got []uint32
	for g := uint32(0); g < 130; g++ {
		if hasBackup(g) {
			got = append(got, g)
		}
	}
	want := []uint32{0, 1, 3, 5, 7, 9, 25, 27, 49, 81, 125}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%v", got)
		}
	}
}
