package chunk

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ucvm/ucvm/internal/testutil"
)

// fixtureChunk is one line of a CHUNKS section of the fixture's MANIFEST.txt.
type fixtureChunk struct {
	hash         string
	offset, size int64
}

func fixtureDir() string {
	return filepath.Join(testutil.RepoRoot(), "..", "shared", "fixtures", "cvmfs", "test.repo.local")
}

// fixtureChunkLists parses every "-- CHUNKS" section: file -> chunk lists
// (one per revision that lists the file).
func fixtureChunkLists(t *testing.T) map[string][][]fixtureChunk {
	t.Helper()
	f, err := os.Open(filepath.Join(fixtureDir(), "MANIFEST.txt"))
	if err != nil {
		t.Skipf("fixture not available: %v", err)
	}
	defer f.Close()
	out := map[string][][]fixtureChunk{}
	in, file := false, ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "-- CHUNKS"):
			in, file = true, ""
		case !in:
		case strings.HasPrefix(line, "/"):
			file = line
			out[file] = append(out[file], nil)
		case strings.HasPrefix(line, "  ") && file != "":
			parts := strings.Split(strings.TrimSpace(line), ",")
			off, _ := strconv.ParseInt(parts[1], 10, 64)
			size, _ := strconv.ParseInt(parts[2], 10, 64)
			l := out[file]
			l[len(l)-1] = append(l[len(l)-1], fixtureChunk{parts[0], off, size})
		default:
			in = false
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// rebuild concatenates the inflated P objects of a chunk list.
func rebuild(t *testing.T, list []fixtureChunk) []byte {
	t.Helper()
	var out bytes.Buffer
	for _, c := range list {
		raw, err := os.ReadFile(filepath.Join(fixtureDir(), "data", c.hash[:2], c.hash[2:]+"P"))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(&out, zr)
		if err != nil || n != c.size {
			t.Fatalf("chunk %s: inflated %d bytes (want %d): %v", c.hash, n, c.size, err)
		}
	}
	return out.Bytes()
}

// TestFixtureCutPoints is the known vector: the files the real cvmfs_server
// 2.12 chunked in the fixture repository, rebuilt from their chunks, must be
// cut by Split at exactly the same offsets with the default parameters.
func TestFixtureCutPoints(t *testing.T) {
	lists := fixtureChunkLists(t)
	if len(lists) < 2 {
		t.Fatalf("found chunk lists for %d files in MANIFEST.txt, want >= 2", len(lists))
	}
	checked := 0
	for file, revs := range lists {
		for _, want := range revs {
			data := rebuild(t, want)
			var got []fixtureChunk
			err := Split(bytes.NewReader(data), DefaultParams(), func(c Chunk, b []byte) error {
				got = append(got, fixtureChunk{"", c.Offset, c.Size})
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%s: %d chunks, real server made %d: got %v", file, len(got), len(want), got)
			}
			for i := range got {
				if got[i].offset != want[i].offset || got[i].size != want[i].size {
					t.Fatalf("%s chunk %d: got %d+%d, real server %d+%d", file, i, got[i].offset, got[i].size, want[i].offset, want[i].size)
				}
			}
			checked++
		}
	}
	t.Logf("matched %d real chunk lists", checked)
}
