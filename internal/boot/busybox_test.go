package boot

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/pierrec/lz4/v4"
)

// TestUnpackBusybox: the LZ4 busybox of a fast-unpack initrd is unpacked
// executable and whole; a damaged one is an error and leaves nothing.
// CreateLayout asks for busybox only when aux/busybox is missing.
func TestUnpackBusybox(t *testing.T) {
	dir := t.TempDir()
	want := bytes.Repeat([]byte("#!/bin/busybox applets\x00\x7fELF"), 50000)
	var z bytes.Buffer
	w := lz4.NewWriter(&z)
	if _, err := w.Write(want); err != nil || w.Close() != nil {
		t.Fatal(err)
	}
	src, dst := filepath.Join(dir, "busybox.lz4"), filepath.Join(dir, "busybox")
	if err := os.WriteFile(src, z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := unpackLZ4(src, dst); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(dst)
	st, _ := os.Stat(dst)
	if err != nil || !bytes.Equal(got, want) || st.Mode().Perm() != 0o755 {
		t.Fatalf("unpacked %d bytes, mode %v, %v", len(got), st.Mode(), err)
	}
	bad := z.Bytes()[:z.Len()/2]
	if err := os.WriteFile(src, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := unpackLZ4(src, filepath.Join(dir, "other")); err == nil || exists(filepath.Join(dir, "other")) {
		t.Fatalf("a truncated frame: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Fatalf("%d files left, want busybox.lz4 and busybox", len(ents))
	}

	rw := t.TempDir()
	asked := 0
	bb := func() string { asked++; return dst }
	for range 2 {
		if err := CreateLayout(rw, bb); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(rw, "aux/busybox")); !bytes.Equal(got, want) || asked != 1 {
		t.Fatalf("aux/busybox: %d bytes, busybox asked %d times", len(got), asked)
	}
}
