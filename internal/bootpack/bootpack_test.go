package bootpack

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"path"
	"sort"
	"strings"
	"testing"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/reader"
)

// memSource is an in-memory tree (Source) for building packs in tests.
type memSource struct {
	nodes   map[string]*reader.Node
	content map[string]string
}

func newMemSource() *memSource {
	return &memSource{nodes: map[string]*reader.Node{"/os": {Entry: catalog.Entry{Path: "/os", Mode: catalog.ModeDir | 0o755}}}, content: map[string]string{}}
}

func (m *memSource) file(p, content string) {
	m.nodes[p] = &reader.Node{Entry: catalog.Entry{Path: p, Name: path.Base(p), Mode: catalog.ModeRegular | 0o644,
		Size: int64(len(content)), Hash: hash.Sum(hash.SHA1, []byte(content))}}
	m.content[p] = content
}

func (m *memSource) link(p, target string) {
	m.nodes[p] = &reader.Node{Entry: catalog.Entry{Path: p, Name: path.Base(p), Mode: catalog.ModeSymlink | 0o777, Symlink: target}}
}

func (m *memSource) Lookup(_ context.Context, p string) (*reader.Node, error) {
	if n := m.nodes[p]; n != nil {
		return n, nil
	}
	return nil, reader.ErrNotFound
}

func (m *memSource) ReadDir(_ context.Context, dir string) ([]*reader.Node, error) {
	var out []*reader.Node
	for p, n := range m.nodes {
		if path.Dir(p) == dir && p != dir {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

type memFile struct{ *strings.Reader }

func (memFile) Close() error { return nil }

func (m *memSource) Open(_ context.Context, n *reader.Node) (reader.File, error) {
	return memFile{strings.NewReader(m.content[n.Path])}, nil
}

func (m *memSource) Chunks(context.Context, *reader.Node) ([]catalog.Chunk, error) { return nil, nil }

// TestBuildRead: files in list order, then the symlinks that lead to
// them (a chain of two); missing paths and directories are skipped; a
// reader gives back names, identities and contents.
func TestBuildRead(t *testing.T) {
	src := newMemSource()
	src.file("/os/usr/lib/libx.so.1.2", strings.Repeat("lib", 1000))
	src.link("/os/usr/lib/libx.so.1", "libx.so.1.2")
	src.link("/os/usr/lib/libx.so", "libx.so.1")
	src.link("/os/usr/lib/other", "/elsewhere")
	src.file("/os/etc/conf", "key=value\n")
	var buf bytes.Buffer
	st, err := Build(context.Background(), src, "os", []string{"etc/conf", "usr/lib/libx.so.1.2", "etc/missing", "/etc/conf", "usr"}, &buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 2 || st.Symlinks != 2 || len(st.Skipped) != 2 || st.Bytes != 3010 {
		t.Fatalf("stats %+v", st)
	}
	r, err := NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []string
	for {
		m, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if m.IsLink {
			got = append(got, m.Name+" -> "+m.Link)
			continue
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		want := src.nodes["/os/"+m.Name]
		if string(b) != src.content["/os/"+m.Name] || m.ID != want.Hash.String() || m.Size != want.Size {
			t.Fatalf("%s: content or identity differs (id %s)", m.Name, m.ID)
		}
		got = append(got, m.Name)
	}
	want := "etc/conf usr/lib/libx.so.1.2 usr/lib/libx.so.1 -> libx.so.1.2 usr/lib/libx.so -> libx.so.1"
	if strings.Join(got, " ") != want {
		t.Fatalf("members %q\nwant    %q", strings.Join(got, " "), want)
	}
}

// TestIdentity: chunked files are identified by their chunk list.
func TestIdentity(t *testing.T) {
	h := hash.Sum(hash.SHA1, []byte("a"))
	if Identity(h, nil) != h.String() {
		t.Fatal("whole file identity is not the hash")
	}
	c1 := []catalog.Chunk{{Offset: 0, Size: 1, Hash: h}}
	c2 := []catalog.Chunk{{Offset: 0, Size: 2, Hash: h}}
	if a, b := Identity(hash.Hash{}, c1), Identity(hash.Hash{}, c2); a == b || !strings.HasPrefix(a, "chunks:") {
		t.Fatalf("chunk identities %s %s", a, b)
	}
}

// TestRefused: names that leave the OS root and foreign member types are
// errors that say so.
func TestRefused(t *testing.T) {
	for _, name := range []string{"../etc/passwd", "/etc/passwd", "a/../../b", "a//b", "./a", ""} {
		if err := checkName(name); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
	var buf bytes.Buffer
	w, _ := NewWriter(&buf)
	w.tw.WriteHeader(&tarHeaderDir)
	w.Close()
	r, err := NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); !errors.Is(err, ErrBadPack) || !strings.Contains(err.Error(), "only files and symlinks") {
		t.Fatalf("directory member: %v", err)
	}
	if _, err := NewReader(strings.NewReader("not zstd")); err != nil {
		t.Fatal(err) // the decoder fails on the first read
	}
	r, _ = NewReader(strings.NewReader("not zstd at all"))
	if _, err := r.Next(); !errors.Is(err, ErrBadPack) {
		t.Fatalf("garbage: %v", err)
	}
}

// FuzzReader: no input makes the reader panic, loop or accept a name
// outside the OS root.
func FuzzReader(f *testing.F) {
	var buf bytes.Buffer
	src := newMemSource()
	src.file("/os/a", "content")
	src.link("/os/b", "a")
	Build(context.Background(), src, "/os", []string{"a"}, &buf, nil)
	f.Add(buf.Bytes())
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		defer r.Close()
		for i := 0; i < 1000; i++ {
			m, err := r.Next()
			if err != nil {
				return
			}
			if checkName(m.Name) != nil {
				t.Fatalf("accepted name %q", m.Name)
			}
			io.Copy(io.Discard, io.LimitReader(r, 1<<20))
		}
	})
}

var tarHeaderDir = tar.Header{Typeflag: tar.TypeDir, Name: "dir", Mode: 0o755}
